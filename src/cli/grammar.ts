/**
 * The command line of cfkctl as data (SPEC §9): every command, what it
 * takes, and the value a parsed command line becomes. Both parsers (the
 * lean one in argv.ts and the commander program in program.ts) are built
 * from this table and must agree on it.
 */

/**
 * What a command takes after its name:
 * - none: nothing;
 * - refs: service references (name, @tag, all), none meaning all;
 * - refs1: at least one service reference (a bare `cfkctl stop` must not
 *   mean "stop everything");
 * - one: exactly one word (a service name, a proxy name, a file);
 * - opt1: one word or none (save [FILE]).
 */
export type Arity = "none" | "refs" | "refs1" | "one" | "opt1";

export type CommandSpec = {
  readonly arity: Arity;
  /** how the argument reads in help */
  readonly argName?: string;
  readonly summary: string;
  /** takes `-n N` and `-f` (tail, events) */
  readonly tailOptions?: true;
  /** what -n counts, in help */
  readonly linesHelp?: string;
  /** takes `-l` (status: the long form) */
  readonly longOption?: true;
  /** takes `--wait` and `--timeout S` (start, restart, up) */
  readonly waitOptions?: true;
  /** takes `--state running|stopped` and `--timeout S` (wait) */
  readonly stateOptions?: true;
  /** takes `--with-dependents` (stop, down) */
  readonly dependentsOption?: true;
  /** takes `--rolling`, `--batch N`, `--pause S` (restart); --timeout is the roll's limit (restart --rolling, reload) */
  readonly rollOptions?: "restart" | "reload";
};

export const COMMANDS = {
  status: { arity: "refs", summary: "state of services, how long ago they started or stopped, and why they failed; -l adds pid, uptime, restarts, cmd, tags, memory and CPU", longOption: true },
  start: { arity: "refs1", summary: "start services (error if already up); --wait: until they are running", waitOptions: true },
  stop: { arity: "refs1", summary: "stop services (error if already down)", dependentsOption: true },
  restart: { arity: "refs1", summary: "stop services if up, then start them; --wait: until they are running; --rolling: a batch at a time, each once the previous runs", waitOptions: true, rollOptions: "restart" },
  reload: { arity: "refs1", summary: "start a new generation beside the running one, then stop the old one (shared sockets)", rollOptions: "reload" },
  rolls: { arity: "none", summary: "rolling restarts and reloads under way in cfkd" },
  "roll-cancel": { arity: "one", argName: "id|all", summary: "stop a rolling restart or reload after what is in flight" },
  up: { arity: "refs1", summary: "make sure services are up (no error if they are); --wait: until they are running", waitOptions: true },
  down: { arity: "refs1", summary: "make sure services are down (no error if they are)", dependentsOption: true },
  wait: { arity: "refs1", summary: "wait until services are running (or --state stopped); exit 1 with the reason if one fails", stateOptions: true },
  ready: { arity: "refs1", summary: "tell cfkd that ready=command services are ready" },
  destroy: { arity: "refs1", summary: "bring services down, then forget them" },
  pid: { arity: "one", argName: "name", summary: "the pid of one service (nothing and exit 1 if it has none)" },
  pids: { arity: "refs", summary: "'name: pid' for services" },
  desc: { arity: "refs", summary: "tags, description, proxy and command of services" },
  list: { arity: "none", summary: "names of all services" },
  load: { arity: "one", argName: "file", summary: "send the statements of FILE (or - for stdin) to cfkd" },
  save: { arity: "opt1", argName: "file", summary: "write the statements that recreate every declaration to FILE (default: stdout), for cfkd -c or load" },
  tail: { arity: "refs", summary: "recent output of services; -f follows it live", tailOptions: true },
  events: {
    arity: "refs",
    summary: "recent state changes of services; -f follows them live",
    tailOptions: true,
    linesHelp: "how many recent changes first (default 10; with -f, 0)",
  },
  proxystatus: { arity: "none", summary: "state of proxies" },
  proxyup: { arity: "one", argName: "proxy", summary: "start a proxy" },
  proxydown: { arity: "one", argName: "proxy", summary: "stop a proxy and the services it runs" },
  version: { arity: "none", summary: "the daemon's version" },
  shutdown: { arity: "none", summary: "stop every service, then cfkd itself; returns once cfkd is gone" },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word);
}

/** A parsed command line. */
export type Invocation = {
  command: CommandName;
  args: string[];
  /** --address, else CFKD_ADDRESS, else the default */
  address?: string;
  /** --auth-token-file, else CFKD_TOKEN_FILE: sent as `auth TOKEN` first */
  authTokenFile?: string;
  /** --basedir: what ${BASE} becomes in `load` */
  basedir?: string;
  json: boolean;
  /** tail/events -n */
  lines?: number;
  /** tail/events -f */
  follow: boolean;
  /** status -l */
  long?: boolean;
  /** --timeout SECS: the longest wait for a reply (0: forever); default DEFAULT_TIMEOUT_SECS; for waits and rolls, their own limit */
  timeout?: number;
  /** start/restart/up --wait */
  wait?: boolean;
  /** wait --state */
  state?: "running" | "stopped";
  /** stop/down --with-dependents */
  withDependents?: boolean;
  /** restart --rolling */
  rolling?: boolean;
  /** restart --rolling --batch N */
  batch?: number;
  /** restart --rolling --pause SECS */
  pause?: number;
};

/** How long cfkctl waits for cfkd to answer a request, by default (not for a stream: `tail -f`). */
export const DEFAULT_TIMEOUT_SECS = 10;

/** Parse --timeout: a non-negative number of seconds (0: wait forever). */
export function parseTimeout(v: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n <= 86_400 * 365 ? n : undefined;
}

/** Parse --pause: a number of seconds (the daemon's rule, protocol/values.ts). */
export { parseSeconds } from "../protocol/values.ts";

/** Parse --batch: a whole number of services, 1 or more. */
export function parseBatch(v: string): number | undefined {
  return /^[1-9]\d{0,5}$/.test(v) ? Number(v) : undefined;
}

/** Parse tail's -n value: a non-negative integer. */
export function parseLines(v: string): number | undefined {
  return /^\d{1,9}$/.test(v) ? Number(v) : undefined;
}
