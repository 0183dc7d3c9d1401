/**
 * The rules for a network face that asks for a token (the TCP console now,
 * the HTTP face later): who may hold a connection before proving who they
 * are, for how long, how many wrong tokens they get, and how much of the
 * log they may cost. Transport-free: a face hands its connections in as
 * opaque values with a `close` callback.
 *
 * - Unauthenticated connections have their own cap (`maxUnauthenticated`),
 *   apart from the operator's slots. When it is full, a new one evicts the
 *   OLDEST unauthenticated connection: an idle flood can never keep the
 *   operator out (cfkctl sends its token the moment it connects), and the
 *   flood's connections die young.
 * - Each must authenticate within `authDeadlineMs`, else it is closed.
 * - After `maxFailures` wrong tokens the connection is closed.
 * - What happens to strangers is logged through `RateLimitedLog`: the first
 *   event of a kind at once, then one line per interval with the count.
 *
 * Races handled: a connection that authenticates, or closes, while its
 * deadline timer is due (the timer is cancelled first; a closed connection
 * is forgotten before anything can evict it twice).
 */
import type { DaemonLog, Level } from "./logging/types.ts";

export type AdmissionRules = {
  /** an unauthenticated connection is closed after this long */
  authDeadlineMs: number;
  /** most unauthenticated connections at once (the oldest is evicted) */
  maxUnauthenticated: number;
  /** wrong tokens before the connection is closed */
  maxFailures: number;
  /** a rate-limited log kind writes at most one line per this interval */
  logIntervalMs: number;
};

export const DEFAULT_ADMISSION: Readonly<AdmissionRules> = {
  authDeadlineMs: 10_000,
  maxUnauthenticated: 64,
  maxFailures: 3,
  logIntervalMs: 60_000,
};

/**
 * A log that writes the first event of a kind at once and then, while more
 * come, one line per interval with their count. No timer runs while nothing
 * is held back (idle = no CPU).
 */
export class RateLimitedLog {
  private kinds = new Map<string, { held: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly log: DaemonLog,
    private readonly intervalMs: number,
  ) {}

  /** Log `first`, or count it when a line of this kind was written within the interval. */
  note(kind: string, level: Level, first: string, summary: (n: number, secs: number) => string): void {
    const k = this.kinds.get(kind);
    if (k) {
      k.held++;
      return;
    }
    this.log.event(level, first);
    const entry = {
      held: 0,
      timer: setTimeout(() => this.flushKind(kind, level, summary), this.intervalMs),
    };
    this.kinds.set(kind, entry);
  }

  private flushKind(kind: string, level: Level, summary: (n: number, secs: number) => string): void {
    const k = this.kinds.get(kind);
    this.kinds.delete(kind);
    if (!k || k.held === 0) return;
    this.log.event(level, summary(k.held, this.intervalMs / 1000));
    // the summary opens a new interval, so a steady flood costs one line per interval
    this.kinds.set(kind, { held: 0, timer: setTimeout(() => this.flushKind(kind, level, summary), this.intervalMs) });
  }

  /** Stop the timers (shutdown); what is held back is dropped. */
  close(): void {
    for (const k of this.kinds.values()) clearTimeout(k.timer);
    this.kinds.clear();
  }
}

type Pending = { peer: string; failures: number; close: (why: string) => void; cancel: () => void };

/** The gate in front of one face: tracks its unauthenticated connections. */
export class Admission<C> {
  private pending = new Map<C, Pending>(); // insertion order = age
  readonly logs: RateLimitedLog;

  constructor(
    readonly rules: AdmissionRules,
    log: DaemonLog,
    /** the face's name in log lines ("console", "http") */
    private readonly face: string,
  ) {
    this.logs = new RateLimitedLog(log, rules.logIntervalMs);
  }

  get unauthenticated(): number {
    return this.pending.size;
  }

  /**
   * A new connection that must authenticate. `close` ends it (with `why`,
   * for the face to tell the client if it can).
   */
  arrive(conn: C, peer: string, close: (why: string) => void): void {
    if (this.pending.size >= this.rules.maxUnauthenticated) {
      const [oldest, p] = this.pending.entries().next().value as [C, Pending];
      this.forget(oldest);
      this.logs.note("evicted", "warn", `${this.face}: too many unauthenticated connections (limit ${this.rules.maxUnauthenticated}), closed the oldest, from ${p.peer}`, (n, s) => `${this.face}: closed ${n} more unauthenticated connections over the limit in the last ${s}s`);
      p.close("evicted");
    }
    const t = setTimeout(() => {
      const p = this.pending.get(conn);
      if (!p) return;
      this.forget(conn);
      this.logs.note("deadline", "warn", `${this.face}: closed a connection from ${peer}: no auth within ${this.rules.authDeadlineMs / 1000}s`, (n, s) => `${this.face}: closed ${n} more connections without auth in the last ${s}s`);
      p.close("deadline");
    }, this.rules.authDeadlineMs);
    this.pending.set(conn, { peer, failures: 0, close, cancel: () => clearTimeout(t) });
  }

  /** The right token: the connection is the operator's now. */
  authenticated(conn: C): void {
    this.forget(conn);
  }

  /** A wrong token; true when the connection must now be closed. */
  failed(conn: C): boolean {
    const p = this.pending.get(conn);
    if (!p) return false;
    p.failures++;
    this.logs.note("failed", "warn", `failed auth from ${this.face} client ${p.peer}`, (n, s) => `${n} more failed auth attempts on the ${this.face} in the last ${s}s`);
    if (p.failures < this.rules.maxFailures) return false;
    this.forget(conn);
    return true;
  }

  /** The connection closed, whatever the reason. */
  gone(conn: C): void {
    this.forget(conn);
  }

  /** Is this connection still waiting to authenticate? */
  isPending(conn: C): boolean {
    return this.pending.has(conn);
  }

  close(): void {
    for (const p of this.pending.values()) p.cancel();
    this.pending.clear();
    this.logs.close();
  }

  private forget(conn: C): void {
    const p = this.pending.get(conn);
    if (!p) return;
    p.cancel();
    this.pending.delete(conn);
  }
}
