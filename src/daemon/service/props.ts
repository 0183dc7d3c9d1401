/**
 * Service properties (SPEC §3.2): their defaults and the rule that turns a
 * wire value into a typed one. Pure: a bad value is reported, never thrown.
 */
import { parseBool, parseIntIn, parseNonNegative, parsePositiveInt, isValidName } from "../../protocol/values.ts";
import { parseSignal } from "../os/signals.ts";
import { SERVICE_PROPERTIES } from "../../protocol/properties.ts";
import { applyProp, parsed, type SetResult, type Setter as PropSetter } from "../props-table.ts";
import { defaultReadyProps, parseAfter, parseAtLeastOne, parseHealth, parseInterval, parseReady, type Parsed, type ReadyProps } from "../ready/spec.ts";

export type Cmd = string | string[];

export type ServiceProps = {
  cmd: Cmd | null;
  desc: string;
  tags: string[];
  startwait_secs: number;
  stopwait_secs: number;
  respawn_on_fail: boolean;
  respawn_on_stop: boolean;
  respawn_max_retries: number;
  no_new_session: boolean;
  ignore_stdout: boolean;
  ignore_stderr: boolean;
  tie_stdin_to: string | null;
  listen_fds: string[];
  env: Record<string, string>;
  cwd: string | null;
  user: string | null;
  group: string | null;
  priority: number | null;
  umask: number | null;
  stop_signal: number;
  /** [ext] KEY=VALUE file read at each start */
  env_file: string | null;
  /** [ext] its end ends cfkd, with its exit code (docs/container.md) */
  essential: boolean;
  /** crash-loop policy (docs/daemon.md "Crash loops") */
  respawn_delay_max: number;
  stable_secs: number;
  max_restarts: number;
  restart_window_secs: number;
  fatal_retry_secs: number;
  /** hook run on each state change (docs/events.md) */
  on_change: string | null;
  on_change_timeout_secs: number;
} & ReadyProps;

export function defaultProps(): ServiceProps {
  return {
    cmd: null,
    desc: "",
    tags: [],
    startwait_secs: 1,
    stopwait_secs: 2,
    respawn_on_fail: true,
    respawn_on_stop: false,
    respawn_max_retries: 8,
    no_new_session: false,
    ignore_stdout: false,
    ignore_stderr: false,
    tie_stdin_to: null,
    listen_fds: [],
    env: {},
    cwd: null,
    user: null,
    group: null,
    priority: null,
    umask: null,
    stop_signal: 15,
    env_file: null,
    ...defaultReadyProps(),
    essential: false,
    respawn_delay_max: 300,
    stable_secs: 60,
    max_restarts: 5,
    restart_window_secs: 60,
    fatal_retry_secs: 0,
    on_change: null,
    on_change_timeout_secs: 10,
  };
}

export type { SetResult };

type Setter = PropSetter<ServiceProps>;

const bool = (key: "respawn_on_fail" | "respawn_on_stop" | "no_new_session" | "ignore_stdout" | "ignore_stderr" | "essential"): Setter =>
  parsed(key, parseBool);

/** Seconds: ≥ 0, at most a year. */
const parseSecs = (v: string) => {
  const n = parseNonNegative(v);
  return n !== undefined && n <= 86400 * 365 ? n : undefined;
};

/** A whole number ≥ 0. */
const parseCount = (v: string) => (/^\s*\d+\s*$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined);

/** Parse a `cmd` value: a JSON array of strings, or a command string. */
export function parseCmd(v: string): Cmd | undefined {
  if (!v.startsWith("[")) return v;
  try {
    const a: unknown = JSON.parse(v);
    if (Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === "string") && a[0] !== "") return a as string[];
  } catch {
    /* invalid JSON: invalid value */
  }
  return undefined;
}

/** Parse an `env` value: a JSON object whose values are strings, numbers or booleans. */
export function parseEnvObject(v: string): Record<string, string> | undefined {
  try {
    const o: unknown = JSON.parse(v);
    if (o === null || typeof o !== "object" || Array.isArray(o)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) {
      if (!validEnvKey(k) || !["string", "number", "boolean"].includes(typeof x)) return undefined;
      out[k] = String(x);
    }
    return out;
  } catch {
    return undefined;
  }
}

const validEnvKey = (k: string) => k !== "" && !k.includes("=") && !k.includes("\0");


/** The properties services and proxies share (SPEC §3.2, §3.4), with the same rules. */
export type CommonProps = { cmd: Cmd | null; desc: string; env: Record<string, string> };

export const commonSetters: Record<"cmd" | "desc" | "add_env" | "env", (p: CommonProps, v: string) => boolean | string> = {
  cmd: parsed("cmd", parseCmd),
  desc: (p, v) => ((p.desc = v.replace(/[\r\n\t\0]+/g, "")), true),
  add_env: (p, v) => {
    const eq = v.indexOf("=");
    if (eq <= 0) return false;
    const key = v.slice(0, eq).trim();
    if (!validEnvKey(key)) return false;
    p.env = { ...p.env, [key]: v.slice(eq + 1) };
    return true;
  },
  env: parsed("env", parseEnvObject),
};

const userOrGroup = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

const setters: Record<string, Setter> = {
  ...commonSetters,
  tags: (p, v) => {
    p.tags = [...new Set(v.replace(/\s+/g, "").split(",").filter((t) => t !== ""))].sort();
    return true;
  },
  startwait_secs: parsed("startwait_secs", parseSecs),
  stopwait_secs: parsed("stopwait_secs", parseSecs),
  respawn_on_fail: bool("respawn_on_fail"),
  respawn_on_stop: bool("respawn_on_stop"),
  respawn_max_retries: parsed("respawn_max_retries", parsePositiveInt),
  no_new_session: bool("no_new_session"),
  ignore_stdout: bool("ignore_stdout"),
  ignore_stderr: bool("ignore_stderr"),
  tie_stdin_to: (p, v) => (isValidName(v) ? ((p.tie_stdin_to = v), true) : false),
  listen_fds: (p, v) => {
    const names = v.replace(/\s+/g, "").split(",").filter((n) => n !== "");
    if (names.length === 0 || !names.every(isValidName) || new Set(names).size !== names.length) return false;
    p.listen_fds = names;
    return true;
  },
  cwd: (p, v) => (v.startsWith("/") && !v.includes("\0") ? ((p.cwd = v), true) : false),
  user: (p, v) => (userOrGroup.test(v) ? ((p.user = v), true) : false),
  group: (p, v) => (userOrGroup.test(v) ? ((p.group = v), true) : false),
  priority: parsed("priority", (v) => parseIntIn(v, -20, 19)),
  umask: (p, v) => {
    if (!/^\s*0?[0-7]{1,3}\s*$/.test(v)) return false;
    p.umask = parseInt(v, 8);
    return true;
  },
  stop_signal: parsed("stop_signal", parseSignal),
  env_file: (p, v) => (v.startsWith("/") && !v.includes("\0") ? ((p.env_file = v), true) : false),
  ready: said("ready", parseReady),
  ready_timeout_secs: said("ready_timeout_secs", (v) => parseInterval("ready_timeout_secs", v)),
  ready_interval_secs: said("ready_interval_secs", (v) => parseInterval("ready_interval_secs", v)),
  health: said("health", parseHealth),
  health_interval_secs: said("health_interval_secs", (v) => parseInterval("health_interval_secs", v)),
  health_failures: said("health_failures", (v) => parseAtLeastOne("health_failures", v)),
  after: said("after", parseAfter),
  essential: bool("essential"),
  respawn_delay_max: parsed("respawn_delay_max", parseSecs),
  stable_secs: parsed("stable_secs", parseSecs),
  max_restarts: parsed("max_restarts", parseCount),
  restart_window_secs: parsed("restart_window_secs", parseSecs),
  fatal_retry_secs: parsed("fatal_retry_secs", parseSecs),
  on_change: (p, v) => (v.includes("\0") ? false : ((p.on_change = v), true)),
  on_change_timeout_secs: parsed("on_change_timeout_secs", (v) => {
    const n = parseSecs(v);
    return n !== undefined && n > 0 ? n : undefined;
  }),
};

/** A setter for a property whose parser says what is wrong (docs/readiness.md). */
function said<K extends keyof ServiceProps>(key: K, parse: (v: string) => Parsed<ServiceProps[K]>): Setter {
  return (p, v) => {
    const r = parse(v);
    if ("error" in r) return r.error;
    p[key] = r.value;
    return true;
  };
}

/**
 * Rules between properties, checked after a set (the service keeps its
 * previous settings when one is broken): the ready fd must not clash with
 * stdin, stdout, stderr or the sockets passed at fds 3, 4, ….
 */
export function propsConflict(name: string, p: ServiceProps): string | null {
  if (p.ready.kind === "fd") {
    const fd = p.ready.fd;
    if (fd >= 3 && fd < 3 + p.listen_fds.length) return `ready=fd:${fd} clashes with listen_fds (they are at fds 3 to ${2 + p.listen_fds.length})`;
  }
  if (p.ready.kind === "log" && p.ignore_stdout && p.ignore_stderr) return "ready=log: needs stdout or stderr, but both are ignored";
  if (p.after.includes(name)) return `after: '${name}' cannot come after itself`;
  return null;
}

/**
 * The crash-loop and hook properties (issue 16) are refused naming the
 * property and what it accepts, on the wire too: no client of ControlFreak
 * 1.0 knows them, so no one depends on the bare `invalid value` the
 * original's properties keep (docs/properties.md has the words).
 */
const NAMED_ON_WIRE = ["respawn_delay_max", "stable_secs", "max_restarts", "restart_window_secs", "fatal_retry_secs", "on_change", "on_change_timeout_secs"];
const EXPECTED: Record<string, string> = Object.fromEntries(NAMED_ON_WIRE.map((p) => [p, SERVICE_PROPERTIES[p]!.expected]));


/** Names of every service property (for docs and error checks). */
export const PROPERTY_NAMES = Object.keys(setters);

/**
 * Set one property on a copy-free props object. `value` null means unset:
 * the property goes back to its default (add_env: clears all additions).
 */
export function setProp(p: ServiceProps, prop: string, value: string | null): SetResult {
  return applyProp(setters, defaultProps, p, prop, value, envField, EXPECTED);
}

/** `add_env` has no field of its own: unsetting it clears `env`. */
export const envField = (prop: string) => (prop === "add_env" ? "env" : prop);

/** The `cmd` as text: strings as they are, arrays as their JSON. */
export function cmdText(cmd: Cmd | null): string {
  if (cmd === null) return "";
  return typeof cmd === "string" ? cmd : JSON.stringify(cmd);
}
