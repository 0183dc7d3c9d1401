/**
 * The stream of service state changes: one record per transition (the
 * intermediate states of one step included: a crash that respawns is
 * running → fail, then fail → starting), handed to
 * every subscriber synchronously, in order. Readiness waits (`cfkctl wait`),
 * `command events`, hooks and the HTTP page's event stream all listen here
 * instead of polling `status`. A subscriber must not throw and must not block:
 * a slow consumer buffers (bounded) on its own side.
 */
import type { ServiceState as State } from "../protocol/status.ts";

export type Change = {
  /** milliseconds since the epoch, from the daemon's clock */
  at: number;
  name: string;
  from: State;
  to: State;
  /** the process the change is about: for a change to a down state, the one that ended */
  pid: number | null;
  /**
   * the fail reason when `to` is fail/fatal/backoff; when a reload fell back
   * to the older generation (`to` running), why; else ""
   */
  reason: string;
  /**
   * A reload's older generation, while it is alive beside `pid` (absent the
   * rest of the time). A change whose `from` equals `to` is that generation
   * going away: nothing else about the service changed.
   */
  old_pid?: number;
};

export type ChangeListener = (c: Change) => void;

export class Changes {
  private listeners = new Set<ChangeListener>();

  /** Listen until the returned function is called. */
  subscribe(l: ChangeListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(c: Change): void {
    for (const l of this.listeners) l(c);
  }
}
