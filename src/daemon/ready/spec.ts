/**
 * The readiness, health and dependency properties (docs/readiness.md):
 * `ready`, `ready_timeout_secs`, `ready_interval_secs`, `health`,
 * `health_interval_secs`, `health_failures`, `after`. Pure: each parser
 * returns the value or the sentence that says what is wrong with it.
 */
import { isValidName, parseSeconds } from "../../protocol/values.ts";

/** A probe polled by cfkd: a TCP connect, an HTTP GET (2xx/3xx), a command (exit 0). */
export type Probe =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "http"; url: string }
  | { kind: "exec"; cmd: string };

/** How a service says it is ready. `startwait` is ControlFreak 1.0's rule. */
export type ReadySpec =
  | { kind: "startwait" }
  | { kind: "fd"; fd: number }
  | { kind: "notify" }
  | { kind: "log"; regex: RegExp }
  | { kind: "command" }
  | Probe;

/** The readiness facts of a service's properties (defaults: none of them used). */
export type ReadyProps = {
  ready: ReadySpec;
  /** null: wait forever */
  ready_timeout_secs: number | null;
  ready_interval_secs: number;
  health: Probe | null;
  health_interval_secs: number;
  health_failures: number;
  /** names and `@tags` */
  after: string[];
};

export function defaultReadyProps(): ReadyProps {
  return {
    ready: { kind: "startwait" },
    ready_timeout_secs: null,
    ready_interval_secs: 0.5,
    health: null,
    health_interval_secs: 10,
    health_failures: 3,
    after: [],
  };
}

/** A parse: the value, or why the text is not one. */
export type Parsed<T> = { value: T } | { error: string };

const bad = (error: string): { error: string } => ({ error });

/** `tcp:HOST:PORT`, `http://…`/`http:URL`, `exec:CMD`; anything else is not a probe. */
export function parseProbe(prop: string, v: string): Parsed<Probe> | null {
  if (v.startsWith("tcp:")) {
    const m = /^tcp:(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) return bad(`${prop}: '${v}' is not tcp:HOST:PORT (port 1-65535)`);
    return { value: { kind: "tcp", host: m[1]!.replace(/^\[|\]$/g, ""), port } };
  }
  if (v.startsWith("http:") || v.startsWith("https:")) {
    // `http:http://host/path` and plain `http://host/path` both work
    const raw = /^https?:\/\//.test(v) ? v : v.slice(5);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return bad(`${prop}: '${raw}' is not a URL`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return bad(`${prop}: '${raw}' is not an http or https URL`);
    if (!/^https?:\/\//.test(raw)) return bad(`${prop}: '${raw}' is not an http or https URL`);
    return { value: { kind: "http", url: u.href } };
  }
  if (v.startsWith("exec:")) {
    const cmd = v.slice(5).trim();
    if (cmd === "") return bad(`${prop}: exec: needs a command`);
    return { value: { kind: "exec", cmd } };
  }
  return null;
}

const READY_FORMS = "startwait, fd:N, notify, tcp:HOST:PORT, http:URL, exec:CMD, log:REGEX or command";

export function parseReady(v: string): Parsed<ReadySpec> {
  const t = v.trim();
  if (t === "startwait" || t === "notify" || t === "command") return { value: { kind: t } };
  if (t.startsWith("fd:")) {
    if (!/^fd:\d{1,4}$/.test(t)) return bad(`ready: '${t}' is not fd:N`);
    const fd = Number(t.slice(3));
    if (fd < 3) return bad(`ready: fd:${fd} is the service's ${["stdin", "stdout", "stderr"][fd]}; use fd:3 or above`);
    if (fd > 1023) return bad(`ready: fd:${fd} is too high (at most 1023)`);
    return { value: { kind: "fd", fd } };
  }
  if (t.startsWith("log:")) {
    const src = v.slice(v.indexOf("log:") + 4);
    if (src === "") return bad("ready: log: needs a regular expression");
    try {
      return { value: { kind: "log", regex: new RegExp(src) } };
    } catch (e) {
      return bad(`ready: invalid regular expression /${src}/: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
    }
  }
  const p = parseProbe("ready", t);
  if (p !== null) return p;
  return bad(`ready: '${t}' is not one of ${READY_FORMS}`);
}

export function parseHealth(v: string): Parsed<Probe> {
  return parseProbe("health", v.trim()) ?? bad(`health: '${v.trim()}' is not tcp:HOST:PORT, http:URL or exec:CMD`);
}

/** Seconds > 0, at most a day (intervals, timeouts). */
export function parseInterval(prop: string, v: string): Parsed<number> {
  const t = v.trim();
  const n = parseSeconds(t);
  if (n === undefined || n === 0) return bad(`${prop}: '${t}' is not a number of seconds (more than 0, at most 86400)`);
  return { value: n };
}

export function parseAtLeastOne(prop: string, v: string): Parsed<number> {
  const t = v.trim();
  const n = /^\d{1,6}$/.test(t) ? Number(t) : 0;
  if (n < 1) return bad(`${prop}: '${t}' is not a whole number of at least 1`);
  return { value: n };
}

/** `after=db,@cache`: names and tags, none twice. */
export function parseAfter(v: string): Parsed<string[]> {
  const refs = [...new Set(v.replace(/\s+/g, "").split(",").filter((r) => r !== ""))];
  for (const r of refs) {
    if (!isValidName(r.startsWith("@") ? r.slice(1) : r)) return bad(`after: '${r}' is not a service name or @tag`);
  }
  return { value: refs };
}

/** The text form of a ready spec (desc, status). */
export function readyText(r: ReadySpec): string {
  switch (r.kind) {
    case "startwait":
    case "notify":
    case "command":
      return r.kind;
    case "fd":
      return `fd:${r.fd}`;
    case "log":
      return `log:${r.regex.source}`;
    default:
      return probeText(r);
  }
}

/** Is this ready rule a probe cfkd polls (every ready_interval_secs)? */
export function isProbe(r: ReadySpec): r is Probe {
  return r.kind === "tcp" || r.kind === "http" || r.kind === "exec";
}

export function probeText(p: Probe): string {
  switch (p.kind) {
    case "tcp":
      return `tcp:${p.host.includes(":") ? `[${p.host}]` : p.host}:${p.port}`;
    case "http":
      return p.url;
    case "exec":
      return `exec:${p.cmd}`;
  }
}

/** What a starting service waits for, in the status line's words. */
export function waitingText(r: ReadySpec): string {
  switch (r.kind) {
    case "fd":
      return "waiting for ready fd";
    case "notify":
      return "waiting for READY=1";
    case "log":
      return `waiting for a log line matching /${r.regex.source}/`;
    case "command":
      return "waiting for command ready";
    case "startwait":
      return "";
    default:
      return `waiting for ${probeText(r)}`;
  }
}
