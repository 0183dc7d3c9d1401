/**
 * A service's status as a value (SPEC §3.5), rendered twice: as the wire's
 * tab-separated line and, by cfkctl, as human or JSON output.
 */

export const STATES = ["stopped", "starting", "running", "stopping", "fail", "fatal", "backoff"] as const;
export type ServiceState = (typeof STATES)[number];

/** The order of every multi-item answer (SPEC §3.5: by name). */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export type StatusRecord = {
  name: string;
  state: string;
  pid: number | null;
  start_time: number | null;
  stop_time: number | null;
  proxy: string;
  fail_reason: string;
  running_cmd: string;
  /**
   * Readiness facts (docs/readiness.md), present only for services that use
   * ready=, health= or after=. On the wire they follow the 8 fields as
   * `key=value` fields, where the original client does not look.
   */
  ready?: boolean;
  /** what a starting service waits for ("waiting for db") */
  waiting?: string;
  /** the last probe's result: "ok" or its failure */
  probe?: string;
  /** the service's own STATUS= (notify) */
  status_text?: string;
  /**
   * A reload's older generation, alive beside the current process. On the
   * wire it follows the 8 fields (and the readiness facts) as `old_pid=N`,
   * where the original client does not look; absent the rest of the time
   * (docs/prefork.md).
   */
  old_pid?: number;
};

/** The readiness extras, in their wire order. */
const EXTRAS = ["ready", "waiting", "probe", "status_text"] as const;

const CONTROL = /[\t\r\n]+/g;
const HAS_CONTROL = /[\t\r\n]/;
const clean = (s: string) => (HAS_CONTROL.test(s) ? s.replace(CONTROL, " ") : s);
const num = (n: number | null) => (n === null ? "" : String(n));
const parseNum = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));

/** The wire form: 8 tab-separated fields. */
export function statusToWire(s: StatusRecord): string {
  const line = [s.name, s.state, num(s.pid), num(s.start_time), num(s.stop_time), s.proxy, s.fail_reason, s.running_cmd]
    .map((f) => clean(String(f)))
    .join("\t");
  let extras = "";
  if (s.ready !== undefined) {
    for (const k of EXTRAS) {
      const v = s[k];
      if (v === undefined || v === "") continue;
      extras += `\t${k}=${clean(typeof v === "boolean" ? (v ? "1" : "0") : v)}`;
    }
  }
  if (s.old_pid !== undefined) extras += `\told_pid=${s.old_pid}`;
  return line + extras;
}

/** Parse a wire status line back into a record (by index: cfkctl parses hundreds cold). */
export function statusFromWire(line: string): StatusRecord {
  const f: string[] = [];
  let at = 0;
  for (let i = 0; i < 7; i++) {
    const tab = line.indexOf("\t", at);
    if (tab < 0) break;
    f.push(line.slice(at, tab));
    at = tab + 1;
  }
  const rest = line.slice(at); // running_cmd, then `key=value` extras
  const tab = rest.indexOf("\t");
  f.push(tab < 0 ? rest : rest.slice(0, tab));
  while (f.length < 8) f.push("");
  const r: StatusRecord = {
    name: f[0]!,
    state: f[1]!,
    pid: parseNum(f[2]),
    start_time: parseNum(f[3]),
    stop_time: parseNum(f[4]),
    proxy: f[5]!,
    fail_reason: f[6]!,
    running_cmd: f[7]!,
  };
  if (tab >= 0) {
    for (const kv of rest.slice(tab + 1).split("\t")) {
      const eq = kv.indexOf("=");
      const k = kv.slice(0, eq);
      const v = kv.slice(eq + 1);
      if (k === "old_pid") {
        r.old_pid = Number(v);
        continue;
      }
      if (k === "ready") r.ready = v === "1";
      else if (k === "waiting" || k === "probe" || k === "status_text") r[k] = v;
      r.ready ??= false;
    }
  }
  return r;
}

/** `settings`: readiness properties (ready, health, after…), as `key=value` fields after the 5. */
export type DescRecord = { name: string; tags: string[]; desc: string; proxy: string; cmd: string; settings?: Record<string, string> };

/** The wire form of `desc`: name, tags joined by ", ", desc, proxy, cmd[, key=value…]. */
export function descToWire(d: DescRecord): string {
  const line = [d.name, d.tags.join(", "), d.desc, d.proxy, d.cmd].map((f) => clean(f)).join("\t");
  if (!d.settings) return line;
  return line + Object.entries(d.settings).map(([k, v]) => `\t${k}=${clean(v)}`).join("");
}

export function descFromWire(line: string): DescRecord {
  const f = line.split("\t");
  const tags = (f[1] ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  const d: DescRecord = { name: f[0] ?? "", tags, desc: f[2] ?? "", proxy: f[3] ?? "", cmd: f[4] ?? "" };
  if (f.length > 5) {
    d.settings = {};
    for (const kv of f.slice(5)) {
      const eq = kv.indexOf("=");
      if (eq > 0) d.settings[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return d;
}

/** A proxy's state (`command proxystatus`, SPEC §3.5). */
export type ProxyStatusRecord = { name: string; /** up or down */ status: string; pid: number | null };

/** The wire form of `proxystatus`: name, up|down, pid. */
export function proxyStatusToWire(p: ProxyStatusRecord): string {
  return [p.name, p.status, num(p.pid)].join("\t");
}

/** Parse a `proxystatus` line back into a record. */
export function proxyStatusFromWire(line: string): ProxyStatusRecord {
  const [name = "", status = "", pid = ""] = line.split("\t");
  return { name, status, pid: parseNum(pid) };
}

/**
 * [ext] `command info [-l] [SEL]`: what the 8-field status line cannot carry
 * without breaking the original client — one JSON object per service, by
 * name. Fields may be added (never renamed); readers keep what they do not
 * know. The original cfkd answers `unknown command 'info'`, and cfkctl then
 * shows what the status line alone says.
 */
export type InfoRecord = {
  name: string;
  /** starts cfkd made on its own (respawns, backoff retries) since the service was declared */
  restarts: number;
  /** seconds since the current process started, null when down */
  uptime: number | null;
  /** the last abnormal end (a fail_reason) and when, epoch secs; kept after the next start */
  last_failure?: string;
  last_failure_at?: number;
  /** set when cfkd found the process alive after a crash of its predecessor (docs/crash-survival.md) */
  adopted?: boolean;
  /** failures in a row since the last stable run or operator start (docs/daemon.md "Crash loops") */
  consecutive_failures?: number;
  /** when cfkd will try again on its own (backoff, fatal with fatal_retry_secs), epoch secs with ms; else null */
  next_attempt_at?: number | null;
  /** which attempt that will be, and of how many (null: no limit) */
  attempt?: number | null;
  max_attempts?: number | null;
  /** how the last process ended: exit code or signal, and when (epoch secs with ms) */
  last_exit?: { code: number | null; signal: number | null; at: number } | null;
  /** with -l: the declared command, tags, and what the service's processes use */
  cmd?: string;
  tags?: string[];
  /** with -l: pids of the service's processes (its process group, or the pid alone) */
  processes?: number[];
  /** with -l: resident memory of those processes, KiB */
  rss_kib?: number;
  /** with -l: CPU time used by those processes, seconds */
  cpu_secs?: number;
  [more: string]: unknown;
};

export function infoToWire(r: InfoRecord): string {
  return JSON.stringify(r);
}

/** Parse an info line; null when it is not one (a reader must not trip on a newer daemon). */
export function infoFromWire(line: string): InfoRecord | null {
  try {
    const o: unknown = JSON.parse(line);
    if (o === null || typeof o !== "object" || typeof (o as InfoRecord).name !== "string") return null;
    return o as InfoRecord;
  } catch {
    return null;
  }
}
