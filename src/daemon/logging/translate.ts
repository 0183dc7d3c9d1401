/**
 * Log4perl configuration → a logging plan: which appenders exist, and for
 * every logger the config defines, its effective level and the full list of
 * appenders a record of that category reaches. The plan is what the log4js
 * set-up (backend.ts) is built from; nothing here touches a file.
 *
 * Log4perl semantics, kept exactly:
 * - a record passes or fails on the level of its own category, inherited
 *   from the nearest ancestor that sets one (`service.web.out` from
 *   `service`; the root's default is OFF);
 * - it then goes to the appenders of its category and of every ancestor,
 *   up to and including the first one whose additivity is 0; ancestors'
 *   levels are not checked again; an appender reached twice writes twice
 *   (unless `oneMessagePerAppender = 1`);
 * - an appender's Threshold (or the system-wide `threshold`) filters what
 *   reaches it;
 * - additivity set for a logger the config does not define is ignored.
 * So a category the config does not name behaves as its nearest named
 * ancestor, which is what log4js does for unnamed categories.
 */
import { isAbsolute, resolve } from "node:path";
import { compilePattern, simpleLayout, type Layout } from "./pattern.ts";
import { fail, parseProperties, type Parsed, type Property } from "./properties.ts";
import { evalPerlFilename } from "./perlsub.ts";

export const LEVELS = ["ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] as const;
export type LevelName = (typeof LEVELS)[number];

export type AppenderPlan = {
  name: string;
  line: number;
  layout: Layout;
  /** records below this level do not reach the appender */
  threshold: LevelName | null;
} & (
  | {
      kind: "file";
      path: string;
      mode: "append" | "write";
      umask: number | null;
      mkpath: boolean;
      /** Log::Dispatch::FileRotate: rotate at `size` bytes, keeping `max` old files (path.1 … path.max) */
      rotate?: { size: number; max: number };
    }
  | { kind: "screen"; fd: 1 | 2 }
);

export type CategoryPlan = { name: string; level: LevelName; appenders: string[] };

export type Plan = { appenders: AppenderPlan[]; categories: CategoryPlan[] };

type Logger = { level: LevelName; appenders: string[]; line: number };

const FILE_TYPES = new Set(["Log::Log4perl::Appender::File", "Log::Dispatch::File", "Log::Dispatch::FileRotate"]);
const ROTATE_TYPE = "Log::Dispatch::FileRotate";
const SCREEN_TYPES = new Set(["Log::Log4perl::Appender::Screen", "Log::Dispatch::Screen"]);
/** Log4perl File/Screen parameters that change nothing here (we always flush, write bytes as they come, reopen on USR1) */
const IGNORED = new Set(["autoflush", "syswrite", "utf8", "binmode", "create_at_logtime", "recreate", "recreate_check_interval", "recreate_check_signal", "min_level", "max_level", "newline"]);
const FILE_PARAMS = new Set(["filename", "mode", "umask", "mkpath", "mkpath_umask", "owner", "group", "header_text"]);

/** Parse and translate. `home` resolves relative file names and ${CFKD_HOME}. */
export function translate(text: string, home: string, env: Record<string, string | undefined>): Parsed<Plan> {
  const vars = { ...env, CFKD_HOME: home };
  const props = parseProperties(text, vars);
  if (!props.ok) return props;
  return build(props.value, home, vars);
}

/** Strip the Log4perl/log4j/log4js prefix; null for a plain variable. */
function unprefix(key: string): string | null {
  const m = /^(?:org\.apache\.)?(?:log4perl|log4j|log4js|l4p)\.(.*)$/i.exec(key);
  return m ? m[1]!.replaceAll("::", ".") : null;
}

function build(props: Property[], home: string, vars: Record<string, string | undefined>): Parsed<Plan> {
  const loggers = new Map<string, Logger>();
  const additivity = new Map<string, boolean>();
  const apps = new Map<string, Map<string, Property>>();
  let threshold: Property | null = null;
  let onePerAppender = false;

  for (const p of props) {
    const key = unprefix(p.key);
    if (key === null) continue; // a variable, used through ${name}
    const [head, ...rest] = key.split(".");
    const tail = rest.join(".");
    if ((head === "rootLogger" || head === "rootlogger") && rest.length === 0) {
      const l = parseLogger(p);
      if (!l.ok) return l;
      if (loggers.has("")) return fail(p.line, "the root logger is defined twice");
      loggers.set("", l.value);
    } else if ((head === "logger" || head === "category") && tail !== "") {
      const l = parseLogger(p);
      if (!l.ok) return l;
      if (loggers.has(tail)) return fail(p.line, `logger ${tail} is defined twice`);
      loggers.set(tail, l.value);
    } else if (head === "additivity" && tail !== "") {
      const b = parseBool(p.value);
      if (b === null) return fail(p.line, `additivity must be 0 or 1, not '${p.value}'`);
      additivity.set(tail, b);
    } else if (head === "appender" && rest.length >= 1) {
      const name = rest[0]!;
      const sub = rest.slice(1).join(".");
      if (!apps.has(name)) apps.set(name, new Map());
      apps.get(name)!.set(sub, p);
    } else if (head === "threshold" && rest.length === 0) {
      threshold = p;
    } else if (head === "oneMessagePerAppender" && rest.length === 0) {
      const b = parseBool(p.value);
      if (b === null) return fail(p.line, `oneMessagePerAppender must be 0 or 1, not '${p.value}'`);
      onePerAppender = b;
    } else {
      return fail(p.line, `unsupported setting '${p.key}' (supported: rootLogger, logger.*, additivity.*, appender.*, threshold, oneMessagePerAppender)`);
    }
  }

  let sysThreshold: LevelName | null = null;
  if (threshold) {
    sysThreshold = level(threshold.value);
    if (!sysThreshold) return fail(threshold.line, badLevel(threshold.value));
  }

  const plans = new Map<string, AppenderPlan>();
  for (const [name, params] of apps) {
    const a = appender(name, params, home, vars, sysThreshold);
    if (!a.ok) return a;
    plans.set(name, a.value);
  }

  // log4js's root category is named "default"; nothing of ours logs under
  // a top-level `default`, so such loggers cannot matter and are left out.
  for (const name of [...loggers.keys()]) if (name === "default" || name.startsWith("default.")) loggers.delete(name);

  const used = new Set<string>();
  const categories: CategoryPlan[] = [];
  for (const [name, l] of loggers) {
    for (const a of l.appenders) if (!plans.has(a)) return fail(l.line, `appender '${a}' is not defined (no log4perl.appender.${a} line)`);
    const reach = reached(name, loggers, additivity);
    const list = onePerAppender ? [...new Set(reach)] : reach;
    for (const a of list) used.add(a);
    categories.push({ name, level: effectiveLevel(name, loggers), appenders: list });
  }
  if (!loggers.has("")) categories.push({ name: "", level: "OFF", appenders: [] });
  return { ok: true, value: { appenders: [...plans.values()].filter((a) => used.has(a.name)), categories } };
}

function parent(name: string): string | null {
  if (name === "") return null;
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(0, dot);
}

/** The defined logger at or above `name`. */
function nearest(name: string | null, loggers: Map<string, Logger>): string | null {
  for (let n = name; n !== null; n = parent(n)) if (loggers.has(n)) return n;
  return null;
}

function effectiveLevel(name: string, loggers: Map<string, Logger>): LevelName {
  const n = nearest(name, loggers);
  return n === null ? "OFF" : loggers.get(n)!.level;
}

/** Appenders reached from a defined logger, walking up while additivity allows. */
function reached(name: string, loggers: Map<string, Logger>, additivity: Map<string, boolean>): string[] {
  const out: string[] = [];
  for (let n = nearest(name, loggers); n !== null; n = nearest(parent(n), loggers)) {
    out.push(...loggers.get(n)!.appenders);
    if (additivity.get(n) === false) break;
  }
  return out;
}

function parseLogger(p: Property): Parsed<Logger> {
  const [lvl = "", ...names] = p.value.split(/\s*,\s*/);
  const l = level(lvl.trim());
  if (!l) return fail(p.line, badLevel(lvl.trim()));
  return { ok: true, value: { level: l, appenders: names.filter((n) => n !== ""), line: p.line } };
}

function level(s: string): LevelName | null {
  const u = s.toUpperCase();
  return (LEVELS as readonly string[]).includes(u) ? (u as LevelName) : null;
}

function badLevel(s: string): string {
  return `level '${s}' is not a valid level (${LEVELS.join("|")})`;
}

function parseBool(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  return null;
}

function appender(name: string, params: Map<string, Property>, home: string, vars: Record<string, string | undefined>, sys: LevelName | null): Parsed<AppenderPlan> {
  const cls = params.get("");
  const first = cls ?? [...params.values()][0]!;
  if (!cls) return fail(first.line, `appender '${name}' has settings but no type (log4perl.appender.${name}=Log::Log4perl::Appender::File or ::Screen)`);
  const type = cls.value.trim();
  const isFile = FILE_TYPES.has(type);
  if (!isFile && !SCREEN_TYPES.has(type)) {
    return fail(cls.line, `unknown appender type '${type}' for '${name}' (supported: Log::Log4perl::Appender::File, Log::Log4perl::Appender::Screen)`);
  }
  for (const [sub, p] of params) {
    if (sub === "" || sub === "Threshold" || sub.startsWith("layout") || IGNORED.has(sub)) continue;
    if (sub === "threshold") return fail(p.line, "invalid keyword 'threshold' - perhaps you meant 'Threshold'?");
    if (isFile ? FILE_PARAMS.has(sub) || (type === ROTATE_TYPE && (sub === "size" || sub === "max")) : sub === "stderr") continue;
    return fail(p.line, `unknown parameter '${sub}' for appender '${name}' (${type})`);
  }
  const layout = layoutOf(name, params, cls.line);
  if (!layout.ok) return layout;
  let threshold: LevelName | null = sys;
  const t = params.get("Threshold");
  if (t) {
    const l = level(t.value);
    if (!l) return fail(t.line, badLevel(t.value));
    threshold = sys && LEVELS.indexOf(sys) > LEVELS.indexOf(l) ? sys : l;
  }
  const common = { name, line: cls.line, layout: layout.value, threshold };
  if (!isFile) {
    const err = params.get("stderr");
    const toErr = err ? parseBool(err.value) : true;
    if (toErr === null) return fail(err!.line, `stderr must be 0 or 1, not '${err!.value}'`);
    return { ok: true, value: { ...common, kind: "screen", fd: toErr ? 2 : 1 } };
  }
  const fn = params.get("filename");
  if (!fn) return fail(cls.line, `appender '${name}' has no filename (log4perl.appender.${name}.filename=...)`);
  const path = filename(fn, home, vars);
  if (!path.ok) return path;
  const modeP = params.get("mode");
  const mode = (modeP?.value ?? "append").trim();
  const modes: Record<string, "append" | "write"> = { append: "append", ">>": "append", write: "write", clobber: "write", ">": "write" };
  if (!Object.hasOwn(modes, mode)) return fail(modeP!.line, `mode must be append or write, not '${mode}'`);
  const um = params.get("umask");
  let umask: number | null = null;
  if (um) {
    if (!/^[0-7]{1,4}$/.test(um.value.trim())) return fail(um.line, `umask must be octal, like 0022, not '${um.value}'`);
    umask = parseInt(um.value.trim(), 8);
  }
  const mk = params.get("mkpath");
  const mkpath = mk ? parseBool(mk.value) : false;
  if (mkpath === null) return fail(mk!.line, `mkpath must be 0 or 1, not '${mk!.value}'`);
  const file = { ...common, kind: "file" as const, path: path.value, mode: modes[mode]!, umask, mkpath };
  if (type !== ROTATE_TYPE) return { ok: true, value: file };
  const size = params.get("size");
  const sizeBytes = size ? parseSize(size.value) : null;
  if (!size || sizeBytes === null) return fail(size?.line ?? cls.line, `appender '${name}' (${ROTATE_TYPE}) needs size=BYTES (a whole number, or with K, M, G: 10M), not '${size?.value ?? ""}'`);
  const maxP = params.get("max");
  const max = maxP ? Number(maxP.value.trim()) : 1; // FileRotate's default
  if (!Number.isInteger(max) || max < 1 || max > 1000) return fail(maxP!.line, `max must be a whole number from 1 to 1000, not '${maxP!.value}'`);
  return { ok: true, value: { ...file, rotate: { size: sizeBytes, max } } };
}

/** `10485760`, `10M`, `512K`, `1G` → bytes; null when it is none of those. */
function parseSize(v: string): number | null {
  const m = /^\s*(\d+)\s*([KMG]?)B?\s*$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]) * { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return n > 0 ? n : null;
}

function filename(p: Property, home: string, vars: Record<string, string | undefined>): Parsed<string> {
  let v = p.value.trim();
  if (/^sub\s*\{/.test(v)) {
    const r = evalPerlFilename(v, vars);
    if (typeof r !== "string") return fail(p.line, r.error);
    v = r;
  }
  if (v === "") return fail(p.line, "empty filename");
  return { ok: true, value: isAbsolute(v) ? v : resolve(home, v) };
}

function layoutOf(name: string, params: Map<string, Property>, line: number): Parsed<Layout> {
  const l = params.get("layout");
  if (!l) return fail(line, `layout not specified for appender '${name}' (log4perl.appender.${name}.layout=PatternLayout)`);
  const cls = l.value.trim().replace(/^(?:Log::Log4perl::Layout::|org\.apache\.log4j\.)/, "");
  for (const [sub, p] of params) {
    if (!sub.startsWith("layout.")) continue;
    const opt = sub.slice(7);
    if (opt !== "ConversionPattern" && opt !== "message_chomp_before_newline") return fail(p.line, `unsupported layout setting '${opt}' for appender '${name}'`);
  }
  if (cls === "SimpleLayout") return { ok: true, value: simpleLayout };
  if (cls !== "PatternLayout") return fail(l.line, `unknown layout '${l.value.trim()}' for appender '${name}' (PatternLayout or SimpleLayout)`);
  const cp = params.get("layout.ConversionPattern");
  const compiled = compilePattern(cp?.value ?? "%m%n");
  if (typeof compiled === "string") return fail(cp?.line ?? l.line, compiled);
  return { ok: true, value: compiled };
}
