/**
 * `%d{...}` date formats the way Log4perl's DateFormat reads them
 * (SimpleDateFormat letters, `'quoted'` literals, and the named formats
 * ABSOLUTE, DATE, ISO8601, APACHE). Local time, like Log4perl.
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const NAMED: Record<string, string> = {
  ABSOLUTE: "HH:mm:ss,SSS",
  DATE: "dd MMM yyyy HH:mm:ss,SSS",
  ISO8601: "yyyy-MM-dd HH:mm:ss,SSS",
  APACHE: "[EEE MMM dd HH:mm:ss yyyy]",
};

/** Log4perl's `%d` without braces. */
export const DEFAULT_DATE_FORMAT = "yyyy/MM/dd HH:mm:ss";

type Part = string | ((d: Date) => string);

const pad = (n: number, len: number) => String(n).padStart(len, "0");

function field(letter: string, len: number): Part {
  switch (letter) {
    case "G":
      return "AD";
    case "y":
      return len >= 4 ? (d) => pad(d.getFullYear(), 4) : (d) => pad(d.getFullYear() % 100, 2);
    case "M":
      if (len >= 4) return (d) => MONTHS[d.getMonth()]!;
      if (len === 3) return (d) => MONTHS[d.getMonth()]!.slice(0, 3);
      return (d) => pad(d.getMonth() + 1, len);
    case "d":
      return (d) => pad(d.getDate(), len);
    case "h":
      return (d) => pad(d.getHours() % 12 || 12, len);
    case "H":
      return (d) => pad(d.getHours(), len);
    case "m":
      return (d) => pad(d.getMinutes(), len);
    case "s":
      return (d) => pad(d.getSeconds(), len);
    case "S":
      // Log4perl: the first `len` digits of the microseconds
      return (d) => pad(d.getMilliseconds() * 1000, 6).slice(0, len);
    case "E":
      return len >= 4 ? (d) => DAYS[d.getDay()]!.padStart(len) : (d) => DAYS[d.getDay()]!.slice(0, 3);
    case "D":
      return (d) => pad(dayOfYear(d) + 1, len);
    case "a":
      return (d) => (d.getHours() < 12 ? "AM" : "PM").padStart(len);
    case "e":
      return (d) => String(Math.floor(d.getTime() / 1000));
    case "Z":
      return (d) => offset(d);
    default:
      // F w W k K z: Log4perl prints this very text
      return `-- '${letter}' not (yet) implemented --`;
  }
}

/** 0-based, counted on the calendar (no daylight-saving hour can shift it) */
function dayOfYear(d: Date): number {
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000);
}

function offset(d: Date): string {
  const m = -d.getTimezoneOffset();
  const a = Math.abs(m);
  return `${m < 0 ? "-" : "+"}${pad(Math.floor(a / 60), 2)}${pad(a % 60, 2)}`;
}

/** Compile a format; a string result is the error (an unmatched quote). */
export function compileDateFormat(format: string): ((d: Date) => string) | string {
  const fmt = NAMED[format] ?? format;
  const parts: Part[] = [];
  for (const chunk of fmt.split(/('(?:''|[^'])*')/)) {
    if (chunk === "") continue;
    const lit = /^'(.*)'$/s.exec(chunk);
    if (lit) {
      parts.push(lit[1]!.replaceAll("''", "'"));
      continue;
    }
    if (chunk.includes("'")) return `bad date format "${format}": unmatched single quote`;
    let last = 0;
    for (const m of chunk.matchAll(/([GyMdhHmsSEeDFwWakKzZ])\1*/g)) {
      if (m.index > last) parts.push(chunk.slice(last, m.index));
      parts.push(field(m[1]!, m[0].length));
      last = m.index + m[0].length;
    }
    if (last < chunk.length) parts.push(chunk.slice(last));
  }
  // Records of one batch share their timestamp; cache the last rendering.
  let lastMs = NaN;
  let lastText = "";
  return (d: Date) => {
    const ms = d.getTime();
    if (ms === lastMs) return lastText;
    let s = "";
    for (const p of parts) s += typeof p === "string" ? p : p(d);
    lastMs = ms;
    lastText = s;
    return s;
  };
}
