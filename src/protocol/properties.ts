/**
 * What every service, socket and proxy property is, for people: its type,
 * default, the values it allows and what it means. This table is the source
 * of docs/properties.md (generated: `npx bun build/properties-doc.ts`), of
 * `cfkctl help properties`, and of the detail in `load` / `cfkd -c` errors
 * (`stdin:2: respawn_on_fail: invalid value 'maybe' (expected 0 or 1)`).
 * test/build/properties-doc.test.ts fails when a property the daemon accepts
 * has no entry here, or when the generated page is out of date.
 *
 * Adding a property: its setter (daemon/…/props.ts), a line here, then
 * `npx bun build/properties-doc.ts` to regenerate the page.
 */
import { parseRequest, type DeclTarget } from "./request.ts";

export type PropertyDoc = {
  /** the kind of value, in a few words */
  readonly type: string;
  /** the default, as text ("—" for none) */
  readonly default: string;
  /** what a valid value looks like: goes after "expected" in errors */
  readonly expected: string;
  /** what it does, one or two sentences (Markdown) */
  readonly meaning: string;
  /** not in ControlFreak 1.0 */
  readonly ext?: boolean;
};

const BOOL = "0 or 1";
const boolDoc = (dflt: 0 | 1, meaning: string, ext = false): PropertyDoc => ({
  type: "boolean (`1 true on enabled yes` / `0 false off disabled no`)",
  default: String(dflt),
  expected: BOOL,
  meaning,
  ...(ext ? { ext } : {}),
});
const SECS = "a number of seconds ≥ 0 (fractions allowed, at most a year)";

const cmd: PropertyDoc = {
  type: "string, or JSON array of strings",
  default: "—",
  expected: 'a command line, or a JSON array of strings such as ["sleep","10"]',
  meaning:
    "What to run. A JSON array is exec'd as it is. A string with shell syntax (a metacharacter such as `$ & ; | < > *` or quotes, or a newline) runs under `/bin/sh -c`; any other string is split on whitespace and exec'd directly.",
};
const desc: PropertyDoc = { type: "one line of text", default: "—", expected: "one line of text", meaning: "A description, shown by `desc`; tabs and newlines are removed." };
const addEnv: PropertyDoc = {
  type: "`KEY=VALUE`",
  default: "—",
  expected: "KEY=VALUE with a non-empty KEY",
  meaning: "Adds or replaces one environment variable of the child. Unset (`add_env=`) clears every addition.",
};
const env: PropertyDoc = {
  type: "empty, or JSON object",
  default: "{}",
  expected: 'a JSON object of strings, such as {"PORT":"8080"}',
  meaning: "Replaces all the environment additions at once; empty clears them.",
  ext: true,
};

export const SERVICE_PROPERTIES: Readonly<Record<string, PropertyDoc>> = {
  cmd,
  desc,
  tags: { type: "`a,b,c`", default: "none", expected: "tag names separated by commas", meaning: "Replaces the service's tag set (`@tag` in cfkctl); whitespace is dropped." },
  startwait_secs: { type: "number ≥ 0", default: "1", expected: SECS, meaning: "How long `starting` lasts before `running`; an exit before that is a failed start (backoff, then fatal)." },
  stopwait_secs: { type: "number ≥ 0", default: "2", expected: SECS, meaning: "Grace after the stop signal before SIGKILL to the whole process group." },
  respawn_on_fail: boolDoc(1, "Start again after an abnormal exit (not 0, not SIGTERM)."),
  respawn_on_stop: boolDoc(0, "Start again after a clean exit (0 or SIGTERM) that cfkd did not ask for."),
  respawn_max_retries: { type: "integer ≥ 1", default: "8", expected: "a whole number ≥ 1", meaning: "Failed starts in a row before the service is left `fatal`." },
  no_new_session: boolDoc(0, "Run in cfkd's session and process group instead of its own (stop then signals the pid alone)."),
  ignore_stdout: boolDoc(0, "Send stdout to /dev/null instead of the log."),
  ignore_stderr: boolDoc(0, "Send stderr to /dev/null instead of the log."),
  tie_stdin_to: { type: "socket name", default: "—", expected: "the name of a declared socket", meaning: "The service's stdin (fd 0) is that listening socket (bound on start if it is not yet)." },
  add_env: addEnv,
  env,
  cwd: { type: "absolute directory", default: "`/` with `-d`, else cfkd's cwd", expected: "an absolute path", meaning: "Working directory of the child; a missing directory fails the start with the reason.", ext: true },
  user: { type: "user name or id", default: "cfkd's", expected: "a user name or a numeric id", meaning: "Run as this user (and its primary group); only when cfkd runs as root.", ext: true },
  group: { type: "group name or id", default: "cfkd's", expected: "a group name or a numeric id", meaning: "Run with this group; only when cfkd runs as root.", ext: true },
  priority: { type: "integer -20..19", default: "0", expected: "a whole number from -20 to 19", meaning: "Nice value of the child.", ext: true },
  umask: { type: "octal", default: "cfkd's", expected: "an octal mode such as 022", meaning: "Umask of the child.", ext: true },
  stop_signal: {
    type: "signal name or number",
    default: "TERM",
    expected: "TERM, INT, QUIT, HUP, USR1, USR2, KILL or a number 1-64",
    meaning: "First signal sent by stop (to the process group unless `no_new_session`).",
    ext: true,
  },
  essential: boolDoc(
    0,
    "Its end ends cfkd: when it exits, fails or is stopped (not restarted), cfkd stops the other services and exits with its exit code (128+signal if a signal ended it). Never respawned. For a container's main process (docs/container.md).",
    true,
  ),
  env_file: {
    type: "absolute file path",
    default: "—",
    expected: "an absolute path",
    meaning:
      "`KEY=VALUE` lines (blank lines, `#` comments and `export ` allowed; matching quotes around a value removed) added to the child's environment, read at each start. `add_env`/`env` win over it. A missing file or a bad line fails the start with the reason.",
    ext: true,
  },
  respawn_delay_max: {
    type: "number ≥ 0",
    default: "300",
    expected: SECS,
    meaning: "The longest any backoff delay may be, in seconds (failed starts and crash loops; docs/daemon.md \"Crash loops\").",
    ext: true,
  },
  stable_secs: {
    type: "number ≥ 0",
    default: "60",
    expected: SECS,
    meaning: "A run that lasts this long in `running` resets the crash-loop counters: its next crash restarts at once, as attempt 1.",
    ext: true,
  },
  max_restarts: {
    type: "integer ≥ 0",
    default: "5",
    expected: "a whole number ≥ 0; 0: no bound",
    meaning: "Restarts after a crash allowed within `restart_window_secs`; the next crash leaves the service `fatal` with `N restarts in M s`. 0: no bound.",
    ext: true,
  },
  restart_window_secs: {
    type: "number ≥ 0",
    default: "60",
    expected: `${SECS}; 0: no bound`,
    meaning: "The window of `max_restarts`. 0: no bound.",
    ext: true,
  },
  fatal_retry_secs: {
    type: "number ≥ 0",
    default: "0",
    expected: `${SECS}; 0: stay fatal`,
    meaning: "When more than 0, a `fatal` service is started again (with fresh counters) this long after it became `fatal`. 0: it stays `fatal` until an operator starts it.",
    ext: true,
  },
  on_change: {
    type: "command line",
    default: "—",
    expected: "a command line (run with /bin/sh -c)",
    meaning: "Run on each state change of the service, with `CFK_EVENT_SERVICE`, `_FROM`, `_TO`, `_REASON`, `_PID`, `_TIME` in its environment; one at a time, later changes queued (docs/events.md). Replaces `cfkd --on-change` for this service.",
    ext: true,
  },
  on_change_timeout_secs: {
    type: "number > 0",
    default: "10",
    expected: "a number of seconds > 0",
    meaning: "An `on_change` hook (or cfkd's `--on-change`) still running after this long is killed with its process group.",
    ext: true,
  },
  listen_fds: {
    type: "`sock1,sock2`",
    default: "—",
    expected: "names of declared sockets separated by commas, each once",
    meaning: "Pass these bound sockets as fds 3, 4, … with `LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES` set the systemd way.",
    ext: true,
  },  ready: {
    type: "readiness protocol",
    default: "startwait",
    expected: "startwait, fd:N (N ≥ 3), notify, tcp:HOST:PORT, http:URL, exec:CMD, log:REGEX or command",
    meaning: "How the service says it is ready; it stays `starting` until then ([readiness.md](readiness.md)). `startwait` is ControlFreak 1.0's rule (survive `startwait_secs`).",
    ext: true,
  },
  ready_timeout_secs: { type: "number > 0", default: "none", expected: "a number of seconds > 0 (at most 86400)", meaning: "A service not ready this long after its spawn is stopped, and the start counts as failed (backoff, then fatal).", ext: true },
  ready_interval_secs: { type: "number > 0", default: "0.5", expected: "a number of seconds > 0 (at most 86400)", meaning: "How often a `tcp:`, `http:` or `exec:` ready probe runs until it passes.", ext: true },
  health: { type: "probe", default: "—", expected: "tcp:HOST:PORT, http:URL or exec:CMD", meaning: "Checked while `running`; `health_failures` failures in a row restart the service with the reason `health check failed: …`.", ext: true },
  health_interval_secs: { type: "number > 0", default: "10", expected: "a number of seconds > 0 (at most 86400)", meaning: "How often the health probe runs (never two at once).", ext: true },
  health_failures: { type: "integer ≥ 1", default: "3", expected: "a whole number ≥ 1", meaning: "Consecutive health failures before the service is restarted.", ext: true },
  after: { type: "`name,@tag,…`", default: "none", expected: "service names or @tags separated by commas, not the service itself", meaning: "Start these first and hold this one `starting` (`waiting for db`) until they run; shutdown stops this one first. A cycle is refused.", ext: true },
};

export const SOCKET_PROPERTIES: Readonly<Record<string, PropertyDoc>> = {
  host: { type: "address", default: "—", expected: "an IPv4 or IPv6 literal, 0.0.0.0, ::, localhost, or unix/", meaning: "Address to bind; `unix/` makes `service` a path." },
  service: { type: "port, /etc/services name, or path", default: "—", expected: "a port 0-65535, a name from /etc/services, or (with host=unix/) an absolute path", meaning: "Port or path; port 0 picks a free port, reported by `sockets` once bound." },
  listen_qsize: { type: "number or `max`", default: "SOMAXCONN", expected: "a whole number, or max", meaning: "Listen backlog; 0 means the default." },
  nonblocking: boolDoc(0, "O_NONBLOCK on the shared socket."),
};

export const PROXY_PROPERTIES: Readonly<Record<string, PropertyDoc>> = {
  cmd,
  desc,
  add_env: addEnv,
  env,
  noauto: boolDoc(0, "Start the proxy only with `proxyup`; by default it starts with its first service and stops after its last."),
};

export const PROPERTIES: Readonly<Record<DeclTarget, Readonly<Record<string, PropertyDoc>>>> = {
  service: SERVICE_PROPERTIES,
  socket: SOCKET_PROPERTIES,
  proxy: PROXY_PROPERTIES,
};

/**
 * The detail of a refused declaration, for people (not the wire, whose words
 * are the original's): `respawn_on_fail: invalid value 'maybe' (expected 0 or 1)`.
 * Null when there is nothing to add.
 */
export function explainRefusal(target: DeclTarget, prop: string, value: string | null, error: string): string | null {
  const table = PROPERTIES[target];
  if (error === "invalid value" && Object.hasOwn(table, prop)) {
    return `${prop}: invalid value '${value ?? ""}' (expected ${table[prop]!.expected})`;
  }
  // `invalid property 'x'` already names it; the list is in `cfkctl help properties`
  return null;
}

/** The error for a refused statement line, with the detail when there is one. */
export function explainStatement(line: string, error: string): string {
  const req = parseRequest(line);
  if (req.kind === "declare") return explainRefusal(req.target, req.prop, req.value, error) ?? error;
  if (req.kind === "proxyService") return explainRefusal("service", req.prop, req.value, error) ?? error;
  return error;
}

/** Markdown tables of every property (docs/properties.md's body). */
export function propertiesMarkdown(): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const table = (t: Readonly<Record<string, PropertyDoc>>) =>
    [
      "| property | value | default | meaning |",
      "|---|---|---|---|",
      ...Object.entries(t).map(([name, p]) => `| \`${name}\`${p.ext ? " [ext]" : ""} | ${esc(p.type)} | ${esc(p.default)} | ${esc(p.meaning)} |`),
    ].join("\n");
  return [
    "## Service properties",
    "",
    "`service NAME PROP=VALUE`",
    "",
    table(SERVICE_PROPERTIES),
    "",
    "## Socket properties",
    "",
    "`socket NAME PROP=VALUE`, then `command bind NAME` (or a service that uses it binds it on start).",
    "",
    table(SOCKET_PROPERTIES),
    "",
    "## Proxy properties",
    "",
    "`proxy NAME PROP=VALUE`; `proxy NAME service SVC PROP=VALUE` declares SVC's property and attaches SVC to the proxy.",
    "",
    table(PROXY_PROPERTIES),
    "",
  ].join("\n");
}

/** Plain text for `cfkctl help properties`. */
export function propertiesText(): string {
  const block = (title: string, t: Readonly<Record<string, PropertyDoc>>) => {
    const lines = [title];
    for (const [name, p] of Object.entries(t)) {
      const plain = (s: string) => s.replaceAll("`", "");
      lines.push(`  ${name}${p.ext ? " [ext]" : ""}  (default ${plain(p.default)})`, `      ${plain(p.meaning)}`, `      value: ${p.expected}`);
    }
    return lines.join("\n");
  };
  return [
    block("SERVICE PROPERTIES (service NAME PROP=VALUE)", SERVICE_PROPERTIES),
    "",
    block("SOCKET PROPERTIES (socket NAME PROP=VALUE)", SOCKET_PROPERTIES),
    "",
    block("PROXY PROPERTIES (proxy NAME PROP=VALUE)", PROXY_PROPERTIES),
    "",
    "An empty value (PROP=) puts a property back to its default. [ext]: not in ControlFreak 1.0.",
  ].join("\n");
}
