/**
 * Log4perl's PatternLayout (ConversionPattern) and SimpleLayout, compiled
 * once per appender into a renderer. Placeholders and modifiers read as
 * Log4perl reads them: `%-5p`, `%.3c`, `%c{2}`, `%p{1}`, `%F{1}`,
 * `%d{ISO8601}`, `%X{key}`, `\n` and `\r` in the pattern text; an unknown
 * letter is printed as it is (Log4perl does the same).
 *
 * What %F, %L, %C, %M, %l mean here (Log4perl put the Perl source file and
 * line of the logging call there, which a compiled Bun program does not
 * have): %F is where the record came from — `cfkd` for the daemon's own
 * events, `stdout`/`stderr` for captured output; %L is always 0; %C is
 * `cfkd`; %M is `-`. See docs/logging.md.
 */
import { hostname } from "node:os";
import { compileDateFormat, DEFAULT_DATE_FORMAT } from "./datefmt.ts";

/** Everything a placeholder may show about one record (or one batch of lines). */
export type RecordInfo = {
  category: string;
  /** upper-case level name: INFO, ERROR, ... */
  level: string;
  time: Date;
  /** the service's pid for %S, null when there is none */
  pid: number | null;
  /** %F: `cfkd`, `stdout` or `stderr` */
  source: string;
};

export type Layout = {
  /** the whole record around one message */
  render(info: RecordInfo, message: string): string;
  /**
   * The text before and after the message, when the message is a plain `%m`
   * appearing once: batches of captured lines are then rendered by copying
   * bytes, without decoding each line. Null when the layout needs the text.
   */
  around: ((info: RecordInfo) => [string, string]) | null;
};

type Piece = (info: RecordInfo, message: string) => string;

const START = performance.now();
const HOST = hostname();
const CSPEC = /%(-?\d*(?:\.\d+)?)([cCdFHlLmMnpPrRtTxXS%])((?:\{[^}]*\})*)/g;

/** sprintf("%<mod>s") as Perl does it: width pads, precision truncates. */
function modifier(mod: string): ((s: string) => string) | null {
  const m = /^(-?)(\d*)(?:\.(\d+))?$/.exec(mod);
  if (!m || (m[2] === "" && m[3] === undefined)) return null;
  const left = m[1] === "-";
  const width = m[2] === "" ? 0 : Number(m[2]);
  const max = m[3] === undefined ? Infinity : Number(m[3]);
  return (s) => {
    const t = s.length > max ? s.slice(0, max) : s;
    return left ? t.padEnd(width) : t.padStart(width);
  };
}

/** last N dot- or ::-separated components of a name (Log4perl shrink_category) */
function shrink(name: string, n: number): string {
  const parts = name.split(/\.|::/);
  return parts.length > n ? parts.slice(parts.length - n).join(".") : name;
}

function lastCurly(curlies: string): string | undefined {
  const all = [...curlies.matchAll(/\{([^}]*)\}/g)];
  return all.length ? all[all.length - 1]![1] : undefined;
}

/** One placeholder → a piece; a string is an error. */
function placeholder(op: string, curly: string | undefined, state: { last: number }): Piece | string {
  const num = curly !== undefined && /^\d+$/.test(curly.trim()) ? Number(curly.trim()) : undefined;
  switch (op) {
    case "c":
      return num ? (i) => shrink(i.category, num) : (i) => i.category;
    case "C":
      return () => "cfkd";
    case "d": {
      const f = compileDateFormat(curly ?? DEFAULT_DATE_FORMAT);
      if (typeof f === "string") return f;
      return (i) => f(i.time);
    }
    case "F":
      return (i) => i.source;
    case "H":
      return () => HOST;
    case "l":
      return (i) => `- ${i.source} (0)`;
    case "L":
      return () => "0";
    case "m":
      return (_i, m) => m;
    case "M":
      return () => "-";
    case "n":
      return () => "\n";
    case "p":
      return num ? (i) => i.level.slice(0, num) : (i) => i.level;
    case "P":
      return () => String(process.pid);
    case "r":
      return (i) => String(Math.floor(i.time.getTime() - performance.timeOrigin - START));
    case "R":
      return (i) => {
        const now = i.time.getTime();
        const d = state.last ? now - state.last : now - performance.timeOrigin - START;
        state.last = now;
        return String(Math.max(0, Math.floor(d)));
      };
    case "t":
      return () => "N/A";
    case "T":
      return () => "";
    case "x":
    case "X":
      return () => "[undef]";
    case "S":
      return (i) => (i.pid === null ? "-" : String(i.pid));
    default:
      return "%";
  }
}

/** Compile a ConversionPattern; a string result is the error. */
export function compilePattern(pattern: string): Layout | string {
  const text = pattern.replaceAll("\\n", "\n").replaceAll("\\r", "\r");
  const pieces: (string | Piece)[] = [];
  const state = { last: 0 };
  let plainMessageAt = -1;
  let messages = 0;
  let last = 0;
  for (const m of text.matchAll(CSPEC)) {
    if (m.index > last) pieces.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [, mod, op, curlies] = m as unknown as [string, string, string, string];
    if (op === "%") {
      pieces.push("%");
      continue;
    }
    const p = placeholder(op, lastCurly(curlies), state);
    if (typeof p === "string") return p;
    const f = modifier(mod);
    if (op === "m") {
      messages++;
      if (!f) plainMessageAt = pieces.length;
    }
    pieces.push(f ? (i, msg) => f(p(i, msg)) : p);
  }
  if (last < text.length) pieces.push(text.slice(last));

  const run = (from: number, to: number, info: RecordInfo, message: string) => {
    let s = "";
    for (let k = from; k < to; k++) {
      const p = pieces[k]!;
      s += typeof p === "string" ? p : p(info, message);
    }
    return s;
  };
  const render = (info: RecordInfo, message: string) => run(0, pieces.length, info, message);
  const at = plainMessageAt;
  const around = messages === 1 && at >= 0 ? (info: RecordInfo): [string, string] => [run(0, at, info, ""), run(at + 1, pieces.length, info, "")] : null;
  return { render, around };
}

/** Log4perl's SimpleLayout: `LEVEL - message`. */
export const simpleLayout: Layout = compilePattern("%p - %m%n") as Layout;
