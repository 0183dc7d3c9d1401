/**
 * Local time without the JavaScript engine's time zone support: the first
 * local-time call of a process makes JSC load ICU's zone data, ~6 ms of a
 * `cfkctl status` whose whole budget is 10 ms. We read the zone the way the
 * C library does instead: $TZ, else /etc/localtime, a TZif file (RFC 8536)
 * whose footer (a POSIX TZ rule) covers the times after its last
 * transition. Anything we cannot read falls back to the engine (correct,
 * only slower). Test: test/cli/localtime.test.ts compares with the engine
 * across zones and centuries.
 */

/** Seconds east of UTC in effect at an instant (epoch seconds). */
export type UtcOffset = (epochSecs: number) => number;

/** The engine's answer: always right, but slow to start. */
export const engineOffset: UtcOffset = (t) => -new Date(t * 1000).getTimezoneOffset() * 60;

type Env = Readonly<Record<string, string | undefined>>;

/** The local zone's offset function, from $TZ and the zoneinfo files. */
export async function loadUtcOffset(env: Env, readFile: (path: string) => Promise<Uint8Array>): Promise<UtcOffset> {
  const tz = env.TZ;
  if (tz === "") return () => 0; // POSIX: an empty TZ is UTC
  const dir = env.TZDIR || "/usr/share/zoneinfo";
  let path: string | undefined;
  if (tz === undefined) path = "/etc/localtime";
  else {
    const name = tz.startsWith(":") ? tz.slice(1) : tz;
    path = name.startsWith("/") ? name : name.includes("..") ? undefined : `${dir}/${name}`;
  }
  if (path !== undefined) {
    try {
      const f = parseTzif(await readFile(path));
      if (f) return f;
    } catch {
      /* no such zone file: maybe TZ is a rule such as EST5EDT,M3.2.0,M11.1.0 */
    }
  }
  return (tz !== undefined && parsePosixTz(tz)) || engineOffset;
}

/** Parse a TZif file (versions 1-4); null when it is not one we understand. */
export function parseTzif(b: Uint8Array): UtcOffset | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 44 || String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) !== "TZif") return null;
  const version = b[4]!;
  const header = (at: number) => {
    const n = (i: number) => dv.getUint32(at + 20 + i * 4);
    return { isutcnt: n(0), isstdcnt: n(1), leapcnt: n(2), timecnt: n(3), typecnt: n(4), charcnt: n(5) };
  };
  let h = header(0);
  let at = 44;
  let wide = false;
  if (version >= 0x32) {
    // Skip the 32-bit block: the 64-bit one that follows covers all times.
    at += h.timecnt * 5 + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 + h.isstdcnt + h.isutcnt;
    if (at + 44 > b.length) return null;
    h = header(at);
    at += 44;
    wide = true;
  }
  const tsize = wide ? 8 : 4;
  const times: number[] = [];
  for (let i = 0; i < h.timecnt; i++) times.push(wide ? Number(dv.getBigInt64(at + i * 8)) : dv.getInt32(at + i * 4));
  at += h.timecnt * tsize;
  const idx = b.subarray(at, at + h.timecnt);
  at += h.timecnt;
  const offsets: number[] = [];
  for (let i = 0; i < h.typecnt; i++) offsets.push(dv.getInt32(at + i * 6));
  at += h.typecnt * 6 + h.charcnt + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt;
  if (h.typecnt === 0 || at > b.length) return null;
  let footer: UtcOffset | null = null;
  if (wide && b[at] === 0x0a) {
    const end = b.indexOf(0x0a, at + 1);
    const rule = end < 0 ? "" : new TextDecoder().decode(b.subarray(at + 1, end));
    if (rule !== "") footer = parsePosixTz(rule);
  }
  // Before the first transition: the first type (RFC 8536 §3.2).
  const first = offsets[0]!;
  return (t) => {
    if (times.length === 0 || t < times[0]!) return times.length === 0 && footer ? footer(t) : first;
    if (t >= times[times.length - 1]! && footer) return footer(t);
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return offsets[idx[lo]!] ?? first;
  };
}

/** A POSIX TZ rule, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`; null when it is not one. */
export function parsePosixTz(s: string): UtcOffset | null {
  let i = 0;
  const name = (): boolean => {
    if (s[i] === "<") {
      const end = s.indexOf(">", i);
      if (end < 0) return false;
      i = end + 1;
      return true;
    }
    const m = /^[A-Za-z]{3,}/.exec(s.slice(i));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  /** [+-]hh[:mm[:ss]] in seconds */
  const hms = (): number | null => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(s.slice(i));
    if (!m) return null;
    i += m[0].length;
    const v = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === "-" ? -v : v;
  };
  if (!name()) return null;
  const stdWest = hms();
  if (stdWest === null) return null;
  const std = 0 - stdWest;
  if (i === s.length) return () => std;
  if (!name()) return null;
  let dst = std + 3600;
  if (s[i] !== "," && i < s.length) {
    const w = hms();
    if (w === null) return null;
    dst = 0 - w;
  }
  if (s[i] !== ",") return null; // a DST zone without rules: no standard default to apply
  i++;
  const rule = (): Rule | null => {
    let m: RegExpExecArray | null;
    let r: Rule;
    const rest = s.slice(i);
    if ((m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(rest))) r = { kind: "M", month: +m[1]!, week: +m[2]!, day: +m[3]!, time: 7200 };
    else if ((m = /^J(\d{1,3})/.exec(rest))) r = { kind: "J", n: +m[1]!, time: 7200 };
    else if ((m = /^(\d{1,3})/.exec(rest))) r = { kind: "n", n: +m[1]!, time: 7200 };
    else return null;
    i += m[0].length;
    if (s[i] === "/") {
      i++;
      const t = hms();
      if (t === null) return null;
      r.time = t;
    }
    return r;
  };
  const start = rule();
  if (!start || s[i] !== ",") return null;
  i++;
  const end = rule();
  if (!end || i !== s.length) return null;
  return (t) => {
    const year = new Date((t + std) * 1000).getUTCFullYear();
    // Start is given in standard time, end in daylight time.
    const on = ruleDay(year, start) + start.time - std;
    const off = ruleDay(year, end) + end.time - dst;
    const inDst = on < off ? t >= on && t < off : !(t >= off && t < on);
    return inDst ? dst : std;
  };
}

type Rule = { kind: "M"; month: number; week: number; day: number; time: number } | { kind: "J" | "n"; n: number; time: number };

/** Epoch seconds of 00:00 UTC on the rule's day of `year`. */
function ruleDay(year: number, r: Rule): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  if (r.kind !== "M") {
    if (r.kind === "n") return jan1 + r.n * 86400;
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return jan1 + (r.n - 1 + (leap && r.n >= 60 ? 1 : 0)) * 86400;
  }
  // Mm.w.d: day d (0 = Sunday) of week w (5 = last) of month m.
  const firstOfMonth = Date.UTC(year, r.month - 1, 1) / 1000;
  const firstDow = new Date(firstOfMonth * 1000).getUTCDay();
  let day = 1 + ((r.day - firstDow + 7) % 7) + (r.week - 1) * 7;
  const daysInMonth = new Date(Date.UTC(year, r.month, 0)).getUTCDate();
  while (day > daysInMonth) day -= 7;
  return firstOfMonth + (day - 1) * 86400;
}
