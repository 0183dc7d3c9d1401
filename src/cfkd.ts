/**
 * cfkd, the supervisor daemon: command line, signals and exit codes.
 * Everything else lives in daemon/.
 */
import { Command, CommanderError, Option } from "commander";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { startDaemon, type Daemon } from "./daemon/daemon.ts";
import { StartError } from "./daemon/os/home.ts";
import { detachedChild, launchDetached, selfCommand } from "./daemon/os/detach.ts";
import { parseAddress, type Address } from "./protocol/address.ts";
import { VERSION } from "./version.ts";
import { CFKD_MANUAL } from "./daemon/manual.ts";
import { DEFAULT_GRACE_SECS } from "./daemon/container.ts";
import { quietRuntime } from "./daemon/os/runtime.ts";
import { trimAfterBursts, trimCode } from "./daemon/os/trim.ts";
import { systemClock } from "./daemon/os/clock.ts";

// First of all: run again with Bun's idle GC timer off (an idle daemon
// must not wake every second; see daemon/os/runtime.ts). Same pid. Not
// for a program that only prints and exits.
if (!process.argv.some((a) => ["--version", "-h", "--help", "-m", "--man"].includes(a))) {
  quietRuntime({ execPath: process.execPath, argv: [process.argv0, ...selfCommand(process.execPath, process.argv).slice(1)], env: process.env });
}

const program = new Command("cfkd")
  .description("ControlFreak supervisor daemon: starts, watches and restarts your services")
  .option("--home <dir>", "home directory (socket, lock, logs)", join(homedir(), ".controlfreak"))
  .option("-a, --address <addr>", "management socket: unix:/path, /path, rel/path, host:port, [v6]:port (default unix:HOME/sock)")
  .option("-l, --log-config-file <file>", "logging configuration (default HOME/log.config)")
  .option("-c, --config <file>", "load this file of statements at start-up, before accepting clients")
  .option("--auth-token-file <file>", "TCP consoles require 'auth TOKEN' first; needed for a non-loopback address")
  .option("--readonly-address <addr>", "a second console that only answers status, desc, list, pids, version, proxystatus, tail, sockets, info, events")
  .option("--max-connections <n>", "most console connections at once", "1000")
  .option("--auth-timeout <secs>", "with a token: close a connection that has not authenticated within SECS", "10")
  .option("--max-unauthenticated <n>", "with a token: most connections not yet authenticated (a new one closes the oldest)", "64")
  .option("--http <addr>", "serve probes, metrics and a status page over HTTP: host:port, [v6]:port, unix:/path (docs/http.md)")
  .option("--http-open-probes", "with --http and a token: /live and /ready answer without the token")
  .option("--on-change <cmd>", "run CMD (with /bin/sh) on each service state change, for services without on_change; the change is in CFK_EVENT_* variables")
  .option("-d, --daemon", "detach into the background: returns once the socket accepts connections, or fails with the reason")
  .option("-t, --trap", "with -d: ignore SIGHUP, SIGINT and SIGTERM (then only 'cfkctl shutdown' stops cfkd)")
  .option("--init", "PID-1 mode even when not PID 1: reap all orphans, --grace, exit code rule, --log-stdout (automatic as PID 1)")
  .option("--grace <secs>", "PID-1 mode: a TERM/INT shutdown SIGKILLs whatever is left after this many seconds", String(DEFAULT_GRACE_SECS))
  .option("--log-stdout", "every service line also on cfkd's stdout as 'name | line' (default in PID-1 mode unless -l is given)")
  .option("--cgroups <mode>", "auto: a cgroup v2 per service where writable, else process groups; off: process groups only", "auto")
  .addOption(new Option("-m, --man", "print the full manual"))
  .version(VERSION, "--version", "print the version")
  .helpOption("-h, --help", "print this help")
  // usage errors: `cfkd: …` and a hint, exit 2 — as cfkctl does (SPEC §9)
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(usage(s.replace(/^error: /, "").trim())) })
  .addHelpText(
    "after",
    `
Examples:
  cfkd                                 run in the foreground, socket in ~/.controlfreak/sock
  cfkd -d                              run in the background; then: cfkctl status
  cfkd -d -t                           background, deaf to HUP/INT/TERM (stop: cfkctl shutdown)
  cfkd --home /srv/cfk -c /srv/cfk/services.conf
  cfkd -a 127.0.0.1:7000               TCP console on loopback (cfkctl --address 127.0.0.1:7000 ...)
  cfkd --http 127.0.0.1:9180           also a status page, /metrics, /live and /ready on loopback

In the background (-d) cfkd has its own session, no terminal, its working
directory is / (services without cwd= run there too) and its stdio are
/dev/null; its own messages go to the log (HOME/cfkd.log by default).

Signals: TERM, INT, HUP stop every service and exit 0 (not with -d -t);
USR1 reloads the log config.

As PID 1 (a container's entrypoint) or with --init: TERM/INT stop every
service within --grace seconds, then SIGKILL what is left; the exit code is
an essential service's, else 0, or 137 if anything had to be SIGKILLed.
See docs/container.md.`,
  );

// Set when this process is the daemon that `cfkd -d` re-launched.
const detached = detachedChild(process.env);

/** A usage error's stderr line. */
function usage(message: string): string {
  return `cfkd: ${message} (see cfkd --help)\n`;
}

async function main(): Promise<number> {
  try {
    program.parse(process.argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return e.exitCode === 0 ? 0 : 2; // help and version: 0; the error is printed already
  }
  const o = program.opts<{
    home: string;
    address?: string;
    config?: string;
    logConfigFile?: string;
    daemon?: boolean;
    trap?: boolean;
    man?: boolean;
    authTokenFile?: string;
    readonlyAddress?: string;
    maxConnections: string;
    authTimeout: string;
    maxUnauthenticated: string;
    init?: boolean;
    grace: string;
    logStdout?: boolean;
    cgroups: string;
    http?: string;
    httpOpenProbes?: boolean;
    onChange?: string;
  }>();
  if (o.man) {
    process.stdout.write(CFKD_MANUAL);
    return 0;
  }
  const home = resolve(o.home);
  const address = parseAddress(o.address ?? `unix:${join(home, "sock")}`);
  const readonlyAddress = o.readonlyAddress === undefined ? undefined : parseAddress(o.readonlyAddress);
  const httpAddress = o.http === undefined ? undefined : parseAddress(o.http);
  const maxConnections = Number(o.maxConnections);
  for (const a of [address, readonlyAddress, httpAddress]) {
    if (a?.kind === "error") {
      process.stderr.write(usage(a.message));
      return 2;
    }
  }
  const authTimeout = Number(o.authTimeout);
  const maxUnauthenticated = Number(o.maxUnauthenticated);
  for (const [flag, n] of [["--max-connections", maxConnections], ["--max-unauthenticated", maxUnauthenticated]] as const) {
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(usage(`${flag} must be a positive integer`));
      return 2;
    }
  }
  if (!(authTimeout > 0) || authTimeout > 86_400) {
    process.stderr.write(usage("--auth-timeout must be a number of seconds above 0 (at most 86400)"));
    return 2;
  }
  const grace = Number(o.grace);
  if (!Number.isFinite(grace) || grace < 0 || grace > 86400) {
    process.stderr.write(usage("--grace must be a number of seconds from 0 to 86400"));
    return 2;
  }
  if (o.cgroups !== "auto" && o.cgroups !== "off") {
    process.stderr.write(usage("--cgroups must be auto or off"));
    return 2;
  }
  const init = o.init === true || process.pid === 1;
  if (o.daemon && !detached) {
    const r = await launchDetached({ cmd: selfCommand(process.execPath, process.argv), argv0: process.argv0, env: process.env, cwd: process.cwd() });
    if (r.ok) return 0;
    process.stderr.write(`cfkd: ${r.reason}\n`);
    return 1;
  }
  if (o.trap && !o.daemon) process.stderr.write("cfkd: -t/--trap only applies with -d; ignored\n");
  if (o.httpOpenProbes && o.http === undefined) process.stderr.write("cfkd: --http-open-probes only applies with --http; ignored\n");
  // Signals are handled from before the socket accepts anyone: a TERM that
  // arrives during start-up stops the daemon as soon as it is up.
  const trap = detached !== null && o.trap === true;
  let daemon: Daemon | null = null;
  let stopAsked = false;
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(sig, () => {
      daemon?.log.event("info", trap ? `received ${sig}, ignored (--trap)` : `received ${sig}`);
      if (trap) return;
      stopAsked = true;
      if (daemon) void daemon.shutdown();
    });
  }
  // USR1 would kill a process that does not handle it: caught from the start too
  process.on("SIGUSR1", () => void daemon?.reloadLog());
  // orphans adopted as subreaper or PID 1 end here; Bun's own children too (reaper.ts tells them apart)
  process.on("SIGCHLD", () => daemon?.reap());
  try {
    daemon = await startDaemon({
      home,
      address: address as Address,
      readonlyAddress: readonlyAddress as Address | undefined,
      configFile: o.config && resolve(o.config),
      logConfigFile: o.logConfigFile && resolve(o.logConfigFile),
      authTokenFile: o.authTokenFile && resolve(o.authTokenFile),
      maxConnections,
      admission: { authDeadlineMs: authTimeout * 1000, maxUnauthenticated },
      http: httpAddress && { address: httpAddress as Address, openProbes: o.httpOpenProbes === true },
      defaultCwd: detached ? "/" : undefined,
      subreaper: true,
      init: init ? { graceSecs: grace } : undefined,
      trees: o.cgroups === "off" ? "process-group" : "auto",
      logStdout: o.logStdout === true || (init && o.logConfigFile === undefined),
      onChange: o.onChange,
    });
  } catch (e) {
    if (e instanceof StartError) {
      detached?.failed(e.message);
      process.stderr.write(`cfkd: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (detached) {
    process.chdir("/"); // every path is resolved by now; do not hold a mount busy
    detached.ready();
  }
  const log = daemon.log;
  // start-up's code pages go back now, each burst's once it is over (os/trim.ts):
  // a burst is service state changes, console clients coming and going, HTTP requests
  const d = daemon;
  const activity = (fn: () => void) => {
    const offs = [d.controller.changes.subscribe(fn), ...d.consoles.map((c) => c.onConnectionClosed(fn)), ...(d.http ? [d.http.onAnswered(fn)] : [])];
    return () => offs.forEach((off) => off());
  };
  trimAfterBursts(activity, () => trimCode(process.execPath), systemClock);
  if (stopAsked) void daemon.shutdown();
  process.on("uncaughtException", (e) => log.event("error", `uncaught exception: ${e?.stack ?? e}`));
  process.on("unhandledRejection", (e) => log.event("error", `unhandled rejection: ${(e as Error)?.stack ?? e}`));
  daemon.reap(); // an orphan may have ended before SIGCHLD was listened to
  await daemon.done;
  return daemon.exitCode();
}

main().then(
  (code) => process.exit(code),
  (e) => {
    detached?.failed(`internal error: ${(e as Error)?.message ?? e}`);
    process.stderr.write(`cfkd: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
