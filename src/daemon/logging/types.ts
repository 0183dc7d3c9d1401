/**
 * What the daemon needs from logging. The daemon's own events go to the
 * `cfkd` category; captured output to `service.<name>.out|err` and
 * `proxy.<name>.out|err` (SPEC §8). Implementations must never throw.
 */
export type Level = "debug" | "info" | "warn" | "error";
export type Stream = "out" | "err";

export interface DaemonLog {
  /** an event of the daemon's own (category `cfkd`); pid = the service's, for `%S` */
  event(level: Level, message: string, pid?: number | null): void;
  /** one captured line of a service's stdout (INFO) or stderr (ERROR) */
  serviceLine(service: string, stream: Stream, pid: number | null, line: string): void;
  /** one line of a proxy's own output */
  proxyLine(proxy: string, stream: Stream, pid: number | null, line: string): void;
}

/** A logger that writes plain lines to a stream (stderr before the config is loaded). */
export function plainLog(write: (s: string) => void): DaemonLog {
  const line = (pid: number | null | undefined, level: string, cat: string, m: string) =>
    write(`${pid ?? "-"} ${level.toUpperCase()} ${cat} - ${m}\n`);
  return {
    event: (level, m, pid) => line(pid, level, "cfkd", m),
    serviceLine: (s, st, pid, l) => line(pid, st === "out" ? "info" : "error", `service.${s}.${st}`, l),
    proxyLine: (p, st, pid, l) => line(pid, st === "out" ? "info" : "error", `proxy.${p}.${st}`, l),
  };
}
