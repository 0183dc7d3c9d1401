/**
 * `command dump` [ext]: the statements that recreate the current
 * declarations — sockets, proxies, services with their tags and every
 * property that is not at its default — in the config syntax, so that
 * `cfkd -c` or `cfkctl load` of the output declares the same objects
 * (`cfkctl save`, docs/cfkctl.md). Pure: objects in, lines out.
 *
 * Values are written so that the parser reads them back unchanged: a value
 * that starts with a quote or a space, or ends with a space, is wrapped in
 * single quotes (the parser takes the text up to the last matching quote).
 * Environment additions are `add_env` lines, which ControlFreak 1.0 reads
 * too. A property this module has no rule for is written from its value's
 * type (boolean 1/0, number, list a,b, object JSON), so properties added
 * later dump without a change here; the round-trip test catches the rest.
 */
import { cmdText, defaultProps, type ServiceProps } from "./service/props.ts";
import { defaultProxyProps, type ProxyProps } from "./proxy/props.ts";
import { defaultSocketProps, type SocketProps } from "./socket/props.ts";
import { byName } from "../protocol/status.ts";
import { signalName } from "./os/signals.ts";
import { probeText, readyText, type Probe, type ReadySpec } from "./ready/spec.ts";

export type Declared = {
  sockets: readonly { name: string; props: SocketProps }[];
  /** pid: the proxy's while it runs (the state file records it) */
  proxies: readonly { name: string; props: ProxyProps; readonly pid?: number | null }[];
  services: readonly { name: string; props: ServiceProps; proxy: string | null }[];
};

/** A value as the parser will read it back. */
export function quoteValue(v: string): string {
  return /^[\s"']|\s$/.test(v) ? `'${v}'` : v;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `prop=value` texts of one property (several for env: one add_env each). */
function values(prop: string, v: unknown): string[] {
  if (v === null || v === undefined) return [];
  switch (prop) {
    case "cmd":
      return [`cmd=${quoteValue(cmdText(v as string | string[]))}`];
    case "env":
      return Object.entries(v as Record<string, string>).map(([k, x]) => `add_env=${quoteValue(`${k}=${x}`)}`);
    case "umask":
      return [`umask=${(v as number).toString(8).padStart(3, "0")}`];
    case "stop_signal":
      return [`stop_signal=${signalName(v as number)}`];
    case "ready":
      return [`ready=${quoteValue(readyText(v as ReadySpec))}`];
    case "health":
      return [`health=${quoteValue(probeText(v as Probe))}`];
  }
  if (typeof v === "boolean") return [`${prop}=${v ? 1 : 0}`];
  if (typeof v === "number") return [`${prop}=${v}`];
  if (Array.isArray(v)) return [`${prop}=${quoteValue(v.join(","))}`];
  if (typeof v === "object") return [`${prop}=${JSON.stringify(v)}`];
  return [`${prop}=${quoteValue(String(v))}`];
}

/** The non-default properties of one object, `cmd` first, then as declared in the defaults. */
function props<P extends object>(p: P, defaults: P): string[] {
  const keys = Object.keys(defaults).sort((a, b) => (a === "cmd" ? -1 : b === "cmd" ? 1 : 0));
  const out: string[] = [];
  for (const k of keys) {
    const v = (p as Record<string, unknown>)[k];
    if (!same(v, (defaults as Record<string, unknown>)[k])) out.push(...values(k, v));
  }
  return out;
}

/** Every statement, sockets first (services refer to them), then proxies, then services. */
export function dumpStatements(d: Declared): string[] {
  const lines: string[] = [];
  for (const s of [...d.sockets].sort(byName)) {
    const ps = props(s.props, defaultSocketProps());
    // an object exists from its first statement: one with nothing set still needs one
    for (const p of ps.length > 0 ? ps : ["nonblocking=0"]) lines.push(`socket ${s.name} ${p}`);
  }
  for (const p of [...d.proxies].sort(byName)) {
    const ps = props(p.props, defaultProxyProps());
    for (const x of ps.length > 0 ? ps : ["noauto=0"]) lines.push(`proxy ${p.name} ${x}`);
  }
  for (const s of [...d.services].sort(byName)) lines.push(...serviceStatements(s));
  return lines;
}

/** One service's statements (a proxied service is declared through its proxy, which attaches it). */
export function serviceStatements(s: Declared["services"][number]): string[] {
  const ps = props(s.props, defaultProps());
  const head = s.proxy === null ? `service ${s.name}` : `proxy ${s.proxy} service ${s.name}`;
  return (ps.length > 0 ? ps : ["desc="]).map((p) => `${head} ${p}`);
}
