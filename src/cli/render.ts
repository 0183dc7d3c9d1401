/**
 * cfkctl's output, rendered from the shared records of protocol/status.ts
 * (SPEC §9): the original client's human formats, or JSON for scripts.
 * Pure: every function returns the text to print (no trailing newline).
 */
import { byName, type DescRecord, type InfoRecord, type ProxyStatusRecord, type StatusRecord } from "../protocol/status.ts";
import type { TailRecord } from "../protocol/tail.ts";
import type { EventRecord } from "../protocol/events.ts";
import type { UtcOffset } from "./localtime.ts";
import { localDate, relativeTime } from "./time.ts";

const RESET = "\x1b[0m";
const COLOURS: Record<string, string> = {
  starting: "\x1b[1;32m",
  running: "\x1b[1;32m",
  up: "\x1b[1;32m",
  stopping: "\x1b[1;33m",
  stopped: "\x1b[1;33m",
  fail: "\x1b[1;31m",
  backoff: "\x1b[1;31m",
  fatal: "\x1b[1;31m",
  down: "\x1b[1;31m",
};

/** Pad first, then colour, so escape codes do not eat the column width. */
function state(text: string, width: number, colour: boolean): string {
  const padded = text.padEnd(width);
  const c = colour ? COLOURS[text] : undefined;
  return c ? c + text + RESET + padded.slice(text.length) : padded;
}

/** The time shown for a service: its last start or stop, whichever is later. */
function lastEvent(s: StatusRecord): number | null {
  if (s.start_time !== null && s.stop_time !== null) return s.start_time >= s.stop_time ? s.start_time : s.stop_time;
  return s.start_time ?? s.stop_time;
}

const LEAK = /leaked \d+ pids/;

/** The states whose line says why (the fail_reason). */
const FAILED = new Set(["fail", "fatal", "backoff"]);

/**
 * `%-8s %-20s %15s (%s)`, or `%-8s %-30s` without a time — the original's
 * columns, which scripts cut on — then, after two spaces, what the original
 * hid: why it failed (fail, fatal, backoff), how often cfkd restarted it,
 * and during a reload the old generation's pid.
 * A service waiting for cfkd's next attempt says when instead of the time:
 * `backoff  web1                 retry in 2.4 s (attempt 3 of 8)`.
 */
export function statusLine(s: StatusRecord, clock: Clock, colour: boolean, when = whenText, info?: InfoRecord | null): string {
  const t = lastEvent(s);
  const retry = info ? retryText(info, clock.nowMs) : null;
  const head =
    retry !== null
      ? `${state(s.state, 8, colour)} ${s.name.padEnd(20)} ${retry}`
      : t === null
        ? `${state(s.state, 8, colour)} ${s.name.padEnd(30)}`
        : `${state(s.state, 8, colour)} ${s.name.padEnd(20)} ${when(t, clock)}`;
  const extra = statusExtra(s, info);
  return extra === "" ? head : `${head}  ${extra}`;
}

/** `reason; waiting for db; restarts: N; adopted; reload: old pid N still up`, each part only when it says something. */
function statusExtra(s: StatusRecord, info: InfoRecord | null | undefined): string {
  const parts: string[] = [];
  if (FAILED.has(s.state) && s.fail_reason !== "") parts.push(s.fail_reason);
  else if (LEAK.test(s.fail_reason)) parts.push(s.fail_reason); // processes that outlived a stop: never silent (docs/container.md)
  // readiness (docs/readiness.md): what a starting service waits for, or its own STATUS=
  const ready = s.waiting || s.status_text;
  if (ready) parts.push(ready);
  if (info && info.restarts > 0) parts.push(`restarts: ${info.restarts}`);
  if (info?.adopted) parts.push("adopted");
  if (s.old_pid !== undefined) parts.push(`reload: old pid ${s.old_pid} still up`);
  return parts.join("; ");
}

/** `1d 2h`, `3h 4m`, `5m 6s`, `7s`: two units at most. */
export function duration(secs: number): string {
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  let rest = Math.max(0, Math.floor(secs));
  const parts: string[] = [];
  for (const [u, n] of units) {
    if (parts.length === 2) break;
    const q = Math.floor(rest / n);
    rest -= q * n;
    if (q > 0 || parts.length > 0 || u === "s") parts.push(`${q}${u}`);
  }
  return parts.slice(0, 2).join(" ");
}

/** Keys of an info record that the long form shows in its own words. */
const SHOWN = new Set([
  "name",
  "restarts",
  "uptime",
  "adopted",
  "cmd",
  "tags",
  "processes",
  "rss_kib",
  "cpu_secs",
  "last_failure",
  "last_failure_at",
  // the crash loop: the retry is on the first line, the rest below
  "consecutive_failures",
  "next_attempt_at",
  "attempt",
  "max_attempts",
  "last_exit",
]);

/**
 * `status -l`: the short line, then indented facts: pid, uptime, restarts,
 * why, cmd, tags, proxy, memory and CPU of its processes, and whatever else
 * a newer cfkd reports (key: value), so new facts show without a new cfkctl.
 */
export function statusLong(s: StatusRecord, info: InfoRecord | null, clock: Clock, colour: boolean): string {
  const pad = " ".repeat(9);
  const lines = [statusLine(s, clock, colour, whenText, info)];
  const head: string[] = [];
  if (s.pid !== null) head.push(`pid ${s.pid}`);
  if (info?.uptime !== null && info?.uptime !== undefined) head.push(`up ${duration(info.uptime)}`);
  if (info) head.push(`restarts ${info.restarts}`);
  if (info?.consecutive_failures) head.push(`${info.consecutive_failures} failure${info.consecutive_failures === 1 ? "" : "s"} in a row`);
  if (info?.adopted) head.push("adopted after a crash of cfkd");
  if (head.length > 0) lines.push(pad + head.join(", "));
  if (s.fail_reason !== "") lines.push(`${pad}why: ${s.fail_reason}`);
  else if (info?.last_failure !== undefined && info.last_failure_at !== undefined) {
    lines.push(`${pad}last failure: ${info.last_failure}, ${duration(clock.nowMs / 1000 - info.last_failure_at)} ago`);
  }
  const exit = info?.last_exit;
  if (exit) {
    const how = exit.signal !== null ? `signal ${exit.signal}` : exit.code !== null ? `exit ${exit.code}` : "exit status unknown";
    lines.push(`${pad}last exit: ${how}, ${duration(clock.nowMs / 1000 - exit.at)} ago`);
  }
  const cmd = s.running_cmd || info?.cmd || "";
  if (cmd !== "") lines.push(`${pad}cmd: ${cmd}`);
  if (info?.tags && info.tags.length > 0) lines.push(`${pad}tags: ${info.tags.join(", ")}`);
  if (s.proxy !== "") lines.push(`${pad}proxy: ${s.proxy}`);
  if (info?.processes !== undefined) {
    const n = info.processes.length;
    const mib = ((info.rss_kib ?? 0) / 1024).toFixed(1);
    lines.push(`${pad}memory ${mib} MiB, cpu ${(info.cpu_secs ?? 0).toFixed(2)} s in ${n} process${n === 1 ? "" : "es"} (${info.processes.join(" ")})`);
  }
  for (const [k, v] of Object.entries(info ?? {})) {
    if (!SHOWN.has(k) && v !== null && v !== undefined && v !== "") lines.push(`${pad}${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  }
  return lines.join("\n");
}

/** `%15s (%s)`: how long ago, and the local date. */
function whenText(t: number, clock: Clock): string {
  return `${relativeTime(t, clock.nowMs, clock.offset).padStart(15)} (${localDate(t, clock.offset)})`;
}

/** `retry in 2.4 s (attempt 3 of 8)`, or null when no attempt is pending (or cfkd does not say). */
export function retryText(info: InfoRecord, nowMs: number): string | null {
  if (info.next_attempt_at === null || info.next_attempt_at === undefined) return null;
  const secs = Math.max(0, info.next_attempt_at * 1000 - nowMs) / 1000;
  const of = info.max_attempts === null || info.max_attempts === undefined ? "" : ` of ${info.max_attempts}`;
  return `retry in ${secs.toFixed(1)} s` + (info.attempt === null || info.attempt === undefined ? "" : ` (attempt ${info.attempt}${of})`);
}

/** Now, and the local zone. */
export type Clock = { nowMs: number; offset: UtcOffset };

export function statusText(list: readonly StatusRecord[], clock: Clock, colour: boolean, infos?: ReadonlyMap<string, InfoRecord>): string {
  // Services started together share their second: format each time once.
  const seen = new Map<number, string>();
  const when = (t: number, c: Clock) => {
    let w = seen.get(t);
    if (w === undefined) seen.set(t, (w = whenText(t, c)));
    return w;
  };
  return list.map((s) => statusLine(s, clock, colour, when, infos?.get(s.name))).join("\n");
}

/** Does any record show a time (and so need the local zone)? */
export function needsClock(list: readonly StatusRecord[]): boolean {
  return list.some((s) => lastEvent(s) !== null);
}

/** `name: pid`, the pid empty when there is none (as the original). */
export function pidsText(list: readonly StatusRecord[]): string {
  return list.map((s) => `${s.name}: ${s.pid ?? ""}${s.old_pid === undefined ? "" : ` (old ${s.old_pid})`}`).join("\n");
}

/** `name: tags="…" desc="…" proxy="…" cmd="…"`, empty fields left out, `"` escaped. */
export function descLine(d: DescRecord): string {
  const q = (v: string) => `"${v.replaceAll('"', '\\"')}"`;
  const parts = [`${d.name}:`];
  const tags = d.tags.join(", ");
  if (tags) parts.push(`tags=${q(tags)}`);
  if (d.desc) parts.push(`desc=${q(d.desc)}`);
  if (d.proxy) parts.push(`proxy=${q(d.proxy)}`);
  if (d.cmd) parts.push(`cmd=${q(d.cmd)}`);
  for (const [k, v] of Object.entries(d.settings ?? {})) parts.push(`${k}=${q(v)}`);
  return parts.join(" ");
}

export function descText(list: readonly DescRecord[]): string {
  return list.map(descLine).join("\n");
}

/** `%-6s %-20s %6s`: state, name, pid. */
export function proxyText(list: readonly ProxyStatusRecord[], colour: boolean): string {
  return list.map((p) => `${state(p.status, 6, colour)} ${p.name.padEnd(20)} ${String(p.pid ?? "").padStart(6)}`).join("\n");
}

/** Parsing lives with the building, in protocol/tail.ts (re-exported for existing callers). */
export { tailFromWire } from "../protocol/tail.ts";

/** `name: text`, or `name (stderr): text`: the human form of a tail record. */
export function tailLine(t: TailRecord): string {
  return t.stream === "err" ? `${t.name} (stderr): ${t.line}` : `${t.name}: ${t.line}`;
}

/** `2026-12-02T13:37:19.123Z web1 running -> fail (pid 42): Exited with error 1` */
export function eventText(e: EventRecord): string {
  const pid = e.pid === null ? "" : ` (pid ${e.pid})`;
  return `${new Date(e.at).toISOString()} ${e.name} ${e.from} -> ${e.to}${pid}${e.reason ? `: ${e.reason}` : ""}`;
}

/** One JSON line per event (`events --json`); `at` as on the wire. */
export function eventJson(e: EventRecord): string {
  return JSON.stringify({ at: new Date(e.at).toISOString(), name: e.name, from: e.from, to: e.to, pid: e.pid, reason: e.reason });
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Sort records by name, keeping the first of each name (several refs may select one service twice). */
export function uniqueByName<T extends { name: string }>(list: readonly T[]): T[] {
  // One selector's answer is already sorted and unique (the daemon sorts by name).
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) sorted = list[i - 1]!.name < list[i]!.name;
  if (sorted) return list.slice();
  const seen = new Map<string, T>();
  for (const r of list) if (!seen.has(r.name)) seen.set(r.name, r);
  return [...seen.values()].sort(byName);
}
