/**
 * The proxy pipe protocol (SPEC §7, docs/proxy.md), as pure functions: the
 * descriptor numbers and their environment, the JSON command lines cfkd
 * writes, and the parsing of the status and log lines a proxy writes.
 * Nothing here throws, whatever a proxy sends.
 */
import type { ServiceProps } from "../service/props.ts";
import type { Stream } from "../logging/types.ts";

/** Where the proxy finds its three pipes; bound sockets follow from FIRST_SOCKET_FD. */
export const COMMAND_FD = 3;
export const STATUS_FD = 4;
export const LOG_FD = 5;
export const FIRST_SOCKET_FD = 6;

/** `_CFK_SOCK_<name>=<fd>` names each bound socket passed to the proxy. */
export const SOCK_PREFIX = "_CFK_SOCK_";

/** The variables that announce the pipes to the proxy. */
export function pipeEnv(): Record<string, string> {
  return { _CFK_COMMAND_FD: String(COMMAND_FD), _CFK_STATUS_FD: String(STATUS_FD), _CFK_LOG_FD: String(LOG_FD) };
}

/** `{"command":"start",...}`: everything the proxy needs to run one service. */
export function startCommand(name: string, p: ServiceProps): string {
  return JSON.stringify({
    command: "start",
    name,
    cmd: p.cmd,
    // the additions only: the proxy's own environment is the base (as in the original)
    env: { ...p.env, CONTROL_FREAK_ENABLED: "1", CONTROL_FREAK_SERVICE: name },
    ignore_stdout: p.ignore_stdout,
    ignore_stderr: p.ignore_stderr,
    tie_stdin_to: p.tie_stdin_to,
    no_new_session: p.no_new_session,
  });
}

/** `{"command":"stop",...}`; `signal` [ext] is the service's stop_signal, which a proxy may ignore (TERM). */
export function stopCommand(name: string, signal: number): string {
  return JSON.stringify({ command: "stop", name, signal });
}

export type Status =
  | { kind: "started"; name: string; pid: number }
  /** code/signal both null: the proxy gave no usable exit status */
  | { kind: "stopped"; name: string; pid: number | null; code: number | null; signal: number | null }
  | { kind: "invalid"; why: string };

/** One status line from the proxy. */
export function parseStatus(line: string): Status {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { kind: "invalid", why: "not JSON" };
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) return { kind: "invalid", why: "not a JSON object" };
  const r = o as Record<string, unknown>;
  if (typeof r.name !== "string" || r.name === "") return { kind: "invalid", why: "no service name" };
  // a pid cfkd may signal: never 0 or 1 (-pid would be "everything")
  const n = integer(r.pid);
  const pid = n !== null && n > 1 ? n : null;
  switch (r.status) {
    case "started":
      if (pid === null) return { kind: "invalid", why: `started '${r.name}' without a valid pid` };
      return { kind: "started", name: r.name, pid };
    case "stopped": {
      const w = integer(r.exit_status);
      const exit = w === null ? null : decodeWait(w);
      return { kind: "stopped", name: r.name, pid, code: exit?.code ?? null, signal: exit?.signal ?? null };
    }
    default:
      return { kind: "invalid", why: `unknown status ${JSON.stringify(r.status)}` };
  }
}

/** A wait(2) status word → exit code or signal; null for anything else (a stop, garbage). */
export function decodeWait(w: number): { code: number | null; signal: number | null } | null {
  if (!Number.isInteger(w) || w < 0 || w > 0xffff) return null;
  const sig = w & 0x7f;
  if (sig === 0) return { code: (w >> 8) & 0xff, signal: null };
  if (sig === 0x7f) return null; // WIFSTOPPED: not an end
  return { code: null, signal: sig };
}

export type LogLine = {
  stream: Stream;
  /** null: the proxy's own log (`-`) */
  service: string | null;
  text: string;
};

/**
 * One log line, `type:svcname:text`. `err` is stderr, any other type
 * stdout; `-` (or nothing) names the proxy itself. A line without the two
 * colons is the proxy's own, on stderr, as it came.
 */
export function parseLogLine(line: string): LogLine {
  const a = line.indexOf(":");
  const b = a < 0 ? -1 : line.indexOf(":", a + 1);
  if (b < 0) return { stream: "err", service: null, text: line };
  const name = line.slice(a + 1, b);
  return {
    stream: line.slice(0, a) === "err" ? "err" : "out",
    service: name === "-" || name === "" ? null : name,
    text: line.slice(b + 1),
  };
}

/** A JSON number or numeric string that is an integer (Perl may send either). */
function integer(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}
