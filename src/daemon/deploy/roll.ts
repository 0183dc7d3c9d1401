/**
 * A roll: services replaced a batch at a time (replacement.ts), each batch
 * once the previous one is running, with a pause between batches. It runs
 * in the daemon: the client that asked only watches, and may go away
 * without stopping it (`command roll_cancel ID` stops it; docs/prefork.md).
 *
 * `restart --rolling` is a roll of restarts, batch N; `reload` a roll of
 * reloads, all in one batch (each overlaps its own old generation).
 *
 * A failure ends the roll once the members of its batch have settled (each
 * is bounded by its timeout): no further batch starts, the services not yet
 * replaced keep running what they run, a reload that failed keeps its old
 * generation. The roll reports the first failure and the others after it.
 */
import type { Changes } from "../changes.ts";
import { rollToWire } from "../../protocol/rolls.ts";
import type { Clock } from "../os/clock.ts";
import type { Service } from "../service/service.ts";
import { Replacement, type Outcome, type Verb } from "./replacement.ts";

export type RollOptions = { verb: Verb; batch: number; pauseMs: number; timeoutMs: number };

export type RollWorld = {
  get(name: string): Service | undefined;
  changes: Changes;
  clock: Clock;
  log(level: "info" | "warn", message: string): void;
  shuttingDown(): boolean;
};

/** Where the client's progress lines go while it listens. */
export type RollListener = { line(text: string): void; end(error?: string): void };

export class Roll {
  private next = 0;
  private replaced: string[] = [];
  private inFlight = new Set<Replacement>();
  private listener: RollListener | null = null;
  /**
   * Lines said before a listener came: the roll starts at once (so a roll in
   * a `-c` file runs too), the console attaches right after, in the same tick.
   */
  private early: string[] | null = [];
  private unsubscribe: (() => void) | null = null;
  private cancelPause: (() => void) | null = null;
  private result: { error?: string } | null = null;
  /** the failures of the current batch, first first */
  private failures: string[] = [];
  private readonly started: number;

  constructor(
    readonly id: number,
    readonly names: readonly string[],
    readonly opts: RollOptions,
    private readonly w: RollWorld,
    private readonly onEnd: (r: Roll) => void,
  ) {
    this.started = w.clock.nowMs();
  }

  /** One line for `command rolls`. */
  describe(): string {
    const { verb, batch } = this.opts;
    const what = verb === "restart" ? `restart_rolling batch=${batch}` : "reload";
    return rollToWire({ id: this.id, what, replaced: this.replaced.length, total: this.names.length, services: [...this.names] });
  }

  get finished(): boolean {
    return this.result !== null;
  }

  /** Start the first batch, now. */
  run(): void {
    queueMicrotask(() => (this.early = null)); // nobody came in time: the log has it all
    const { verb, batch, pauseMs, timeoutMs } = this.opts;
    const how = verb === "restart" ? `restart, ${batch} at a time, pause ${pauseMs / 1000}s` : "reload";
    this.say("info", `roll ${this.id}: ${how}, timeout ${timeoutMs / 1000}s: ${this.names.join(" ")}`);
    this.unsubscribe = this.w.changes.subscribe((c) => {
      for (const r of this.inFlight) if (r.name === c.name) r.changed();
    });
    this.nextBatch();
  }

  /** Progress goes to `listener` (what was said so far first) until it detaches or the roll ends. */
  attach(listener: RollListener): void {
    for (const l of this.early ?? []) listener.line(l);
    this.early = null;
    if (this.result !== null) return listener.end(this.result.error);
    this.listener = listener;
  }

  /** The client went away: the roll goes on, silently (the daemon log still has it). */
  detach(): void {
    this.listener = null;
  }

  /** Stop it: no further batch; a reload still starting falls back to its old generation. */
  cancel(reason: string): void {
    if (this.finished) return;
    this.failures.push(reason);
    for (const r of [...this.inFlight]) r.cancel(reason);
    if (this.inFlight.size === 0) this.fail();
  }

  private nextBatch(): void {
    this.cancelPause = null;
    if (this.finished) return;
    if (this.next >= this.names.length) return this.succeed();
    if (this.w.shuttingDown()) {
      this.failures.push("cfkd is shutting down");
      return this.fail();
    }
    const batch = this.names.slice(this.next, this.next + this.opts.batch);
    this.next += batch.length;
    const members = batch.map((name) => new Replacement(name, this.opts.verb, this.opts.timeoutMs, { get: this.w.get, clock: this.w.clock, progress: (l) => this.say("info", l) }, (r, o) => this.memberDone(r, o)));
    for (const r of members) this.inFlight.add(r);
    for (const r of members) {
      // one refused at once: the rest of its batch is not touched
      if (this.failures.length > 0) this.inFlight.delete(r);
      else r.begin();
    }
    if (this.inFlight.size === 0 && this.failures.length > 0) this.fail();
  }

  private memberDone(r: Replacement, o: Outcome): void {
    this.inFlight.delete(r);
    if (this.finished) return;
    if (o.ok) this.replaced.push(r.name);
    else if (!this.failures.includes(o.reason)) this.failures.push(o.reason);
    if (this.inFlight.size > 0) return;
    if (this.failures.length > 0) return this.fail();
    if (this.next >= this.names.length || this.opts.pauseMs === 0) return this.nextBatch();
    this.say("info", `pause ${this.opts.pauseMs / 1000}s`);
    this.cancelPause = this.w.clock.after(this.opts.pauseMs, () => this.nextBatch());
  }

  private succeed(): void {
    const secs = ((this.w.clock.nowMs() - this.started) / 1000).toFixed(1);
    this.say("info", `roll ${this.id}: done, ${this.replaced.length} replaced in ${secs}s`);
    this.end({});
  }

  private fail(): void {
    if (this.finished) return;
    const reason = this.failures.join("; ");
    const left = this.names.filter((n) => !this.replaced.includes(n));
    const error = `${reason}; roll ${this.id} stopped, ${this.replaced.length} of ${this.names.length} replaced${left.length ? `, not replaced: ${left.join(" ")}` : ""}`;
    this.w.log("warn", `roll ${this.id}: ${error}`);
    this.end({ error });
  }

  private end(result: { error?: string }): void {
    if (this.result !== null) return;
    this.result = result;
    this.unsubscribe?.();
    this.cancelPause?.();
    this.onEnd(this);
    this.listener?.end(result.error);
    this.listener = null;
  }

  private say(level: "info" | "warn", line: string): void {
    this.w.log(level, line);
    this.listener?.line(line);
    this.early?.push(line);
  }
}
