/**
 * What the daemon needs from logging. The daemon's own events go to the
 * `cfkd` category; captured output to `service.<name>.out|err` and
 * `proxy.<name>.out|err` (SPEC §8). Implementations must never throw.
 */
import type { Tail } from "./tail.ts";

export type Level = "debug" | "info" | "warn" | "error";
export type Stream = "out" | "err";
export type Source = "service" | "proxy";

export interface DaemonLog {
  /** an event of the daemon's own (category `cfkd`); pid = the service's, for `%S` */
  event(level: Level, message: string, pid?: number | null): void;
  /**
   * One line of a service's stdout (INFO) or stderr (ERROR), relayed by a
   * proxy. A promise means the log is backed up: read no more from where
   * the line came from until it settles.
   */
  serviceLine(service: string, stream: Stream, pid: number | null, line: string): Promise<void> | undefined;
  /** one line of a proxy's own log (same promise as serviceLine) */
  proxyLine(proxy: string, stream: Stream, pid: number | null, line: string): Promise<void> | undefined;
  /**
   * Log a service's (or proxy's) stdout or stderr, line by line, until it
   * ends; reads no faster than the log can write. Resolves at end of stream.
   */
  capture(source: Source, name: string, stream: Stream, pid: number | null, from: ReadableStream<Uint8Array>): Promise<void>;
  /** recent lines and live followers, for `command tail` */
  readonly tail: Tail;
  /**
   * Wait until captured output reaches end of stream and the records are
   * written, at most `maxMs` (default 2 s): an escaped process may hold a
   * service's stdout open forever, and what was read by then is written.
   */
  flush(maxMs?: number): Promise<void>;
}
