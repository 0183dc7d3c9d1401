/**
 * `GET /events` and `GET /events/tail?svc=NAME`: what the status page
 * listens to, pushed by the daemon.
 *
 * /events sends `snapshot` (every row) first, then `change` (one row) on
 * each state change, straight from the stream of changes (changes.ts): no
 * polling. While at least one client listens, a `stats` event every
 * STATS_MS carries CPU and memory of each service's processes (sampled
 * from /proc then, and only then), or a new `snapshot` when services were
 * declared or destroyed meanwhile. With no client: no subscription, no
 * timer, no work.
 *
 * /events/tail sends the service's recent lines from the tail ring, then
 * follows it; a client that reads too slowly is told how many lines it
 * missed (the tail ring's own follower rules).
 */
import { SseClient, sseEvent } from "./sse.ts";
import { rowOf, rowUsage, type HttpWorld, type ServiceRow } from "./facts.ts";
import type { GroupUsage } from "../os/procfs.ts";
import type { Change } from "../changes.ts";
import { tailFromWire } from "../../protocol/tail.ts";

export const STATS_MS = 5000;
const TAIL_RECENT = 200;

export class EventHub {
  private clients = new Set<SseClient>();
  private unsubscribe: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private names = "";
  private tails = new Set<SseClient>();

  constructor(private readonly world: HttpWorld) {}

  /** Open streams (state and tail). */
  get size(): number {
    return this.clients.size + this.tails.size;
  }

  rows(): ServiceRow[] {
    return this.world.services().map((s) => rowOf(s));
  }

  /** A new /events client. */
  open(): ReadableStream<Uint8Array> {
    const c: SseClient = new SseClient(
      () => this.snapshot(),
      () => {
        this.clients.delete(c);
        if (this.clients.size === 0) this.idle();
      },
    );
    this.clients.add(c);
    if (this.unsubscribe === null) {
      this.unsubscribe = this.world.changes.subscribe((ch) => this.onChange(ch));
      this.timer = setInterval(() => this.tick(), STATS_MS);
    }
    return c.body(this.snapshot());
  }

  /** A new /events/tail client for one service, or null when there is no such service. */
  openTail(name: string): ReadableStream<Uint8Array> | null {
    if (!this.world.services().some((s) => s.name === name)) return null;
    const match = (n: string) => n === name;
    const tail = this.world.tail;
    let stop = () => {};
    const c: SseClient = new SseClient(
      () => "", // the ring's follower sends the "dropped" line itself
      () => {
        stop();
        this.tails.delete(c);
      },
    );
    this.tails.add(c);
    const first = sseEvent("lines", tail.recent(match, TAIL_RECENT).map(splitTailLine));
    stop = tail.follow(match, {
      get congested() {
        return c.congested;
      },
      send: (lines) => c.send(sseEvent("lines", lines.map(splitTailLine))),
    });
    return c.body(first);
  }

  /** Server shutdown: end every stream. */
  closeAll(): void {
    for (const c of [...this.clients, ...this.tails]) c.close();
  }

  private idle(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private snapshot(): string {
    const rows = this.rows();
    this.names = rows.map((r) => r.name).join("\n");
    return sseEvent("snapshot", { now: this.world.nowMs(), rows, usage: usageMap(rows) });
  }

  private onChange(ch: Change): void {
    const svc = this.world.services().find((s) => s.name === ch.name);
    if (!svc) return;
    const text = sseEvent("change", { now: ch.at, row: rowOf(svc) });
    for (const c of this.clients) c.send(text);
  }

  private tick(): void {
    const rows = this.rows();
    const names = rows.map((r) => r.name).join("\n");
    const text = names === this.names ? sseEvent("stats", { now: this.world.nowMs(), usage: usageMap(rows) }) : this.snapshot();
    for (const c of this.clients) c.send(text);
  }
}

/** CPU seconds and resident bytes of each running service's processes, by name. */
function usageMap(rows: readonly ServiceRow[]): Record<string, GroupUsage> {
  // no prototype: a service named __proto__ is a key like any other
  const out: Record<string, GroupUsage> = Object.create(null);
  const usage = rowUsage(rows);
  for (const r of rows) {
    const u = usage(r);
    if (u) out[r.name] = u;
  }
  return out;
}

/** A tail ring's wire line → [stream, text] for the page. */
function splitTailLine(wire: string): [string, string] {
  const t = tailFromWire(wire);
  return [t.stream, t.line];
}
