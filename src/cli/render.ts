/**
 * cfkctl's output, rendered from the shared records of protocol/status.ts
 * (SPEC §9): the original client's human formats, or JSON for scripts.
 * Pure: every function returns the text to print (no trailing newline).
 */
import { byName, type DescRecord, type ProxyStatusRecord, type StatusRecord } from "../protocol/status.ts";
import type { TailRecord } from "../protocol/tail.ts";
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

/** `%-8s %-20s %15s (%s)`, or `%-8s %-30s` without a time. */
export function statusLine(s: StatusRecord, clock: Clock, colour: boolean, when = whenText): string {
  const t = lastEvent(s);
  if (t === null) return `${state(s.state, 8, colour)} ${s.name.padEnd(30)}`;
  return `${state(s.state, 8, colour)} ${s.name.padEnd(20)} ${when(t, clock)}`;
}

/** `%15s (%s)`: how long ago, and the local date. */
function whenText(t: number, clock: Clock): string {
  return `${relativeTime(t, clock.nowMs, clock.offset).padStart(15)} (${localDate(t, clock.offset)})`;
}

/** Now, and the local zone. */
export type Clock = { nowMs: number; offset: UtcOffset };

export function statusText(list: readonly StatusRecord[], clock: Clock, colour: boolean): string {
  // Services started together share their second: format each time once.
  const seen = new Map<number, string>();
  const when = (t: number, c: Clock) => {
    let w = seen.get(t);
    if (w === undefined) seen.set(t, (w = whenText(t, c)));
    return w;
  };
  return list.map((s) => statusLine(s, clock, colour, when)).join("\n");
}

/** Does any record show a time (and so need the local zone)? */
export function needsClock(list: readonly StatusRecord[]): boolean {
  return list.some((s) => lastEvent(s) !== null);
}

/** `name: pid`, the pid empty when there is none (as the original). */
export function pidsText(list: readonly StatusRecord[]): string {
  return list.map((s) => `${s.name}: ${s.pid ?? ""}`).join("\n");
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
