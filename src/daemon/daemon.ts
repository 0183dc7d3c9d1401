/**
 * Wires a running daemon together: home and lock, logging, controller,
 * console. `startDaemon` resolves once the management socket accepts
 * connections; `stop` brings every service down, then releases everything.
 */
import { join, resolve } from "node:path";
import { Controller } from "./controller.ts";
import { Console } from "./console.ts";
import { prepareHome, acquireLock, StartError, type Lock } from "./os/home.ts";
import { systemClock, type Clock } from "./os/clock.ts";
import { bunSpawner, type Spawner } from "./os/spawner.ts";
import { osSignals, type Signals } from "./os/signals.ts";
import { prepareLaunch, prepareProxyLaunch, refindingPrograms } from "./launch.ts";
import { loadConfig } from "./config.ts";
import { Sockets } from "./sockets.ts";
import { Hooks } from "./hooks.ts";
import { NotifyHub } from "./ready/notify.ts";
import type { DaemonLog } from "./logging/types.ts";
import { openDaemonLog, LogConfigError, type RunningLog } from "./logging/daemonLog.ts";
import { formatAddress, isLoopback, type Address } from "../protocol/address.ts";
import { loadToken } from "./auth.ts";
import { fdAware, raiseFdLimit } from "./descriptors.ts";
import type { AdmissionRules } from "./admission.ts";
import { VERSION } from "../version.ts";
import { recover, StateWriter, stateFile, type Recovery } from "./survival.ts";
import { ContainerDuties } from "./container.ts";
import { HttpFace } from "./http/server.ts";

export type DaemonOptions = {
  home: string;
  address: Address;
  /** -c FILE: statements loaded before clients are accepted */
  configFile?: string;
  /** -l FILE: the log config (must exist); default $home/log.config, created if missing */
  logConfigFile?: string;
  /** working directory for services without `cwd` */
  defaultCwd?: string;
  log?: DaemonLog;
  clock?: Clock;
  spawner?: Spawner;
  signals?: Signals;
  maxConnections?: number;
  /** --auth-timeout, --max-unauthenticated: how a console with a token treats strangers */
  admission?: Partial<AdmissionRules>;
  /** --auth-token-file: TCP consoles require `auth TOKEN` first */
  authTokenFile?: string;
  /** --readonly-address: a second console for status-only clients */
  readonlyAddress?: Address;
  /** become a child subreaper and reap adopted orphans (the entry file calls `reap` on SIGCHLD) */
  subreaper?: boolean;
  /** PID-1 mode (pid 1 or --init): the shutdown's grace, SIGKILL after it, the exit-code rule */
  init?: { graceSecs: number };
  /** per-service process trees: "auto" = cgroup v2 where writable, else process groups; absent = 1.0's leader-only view */
  trees?: "auto" | "process-group";
  /** --log-stdout: every service line also on fd 1 as `name | line` */
  logStdout?: boolean;
  /** --http ADDR: the HTTP face (docs/http.md); openProbes: --http-open-probes */
  http?: { address: Address; openProbes: boolean };
  /** --on-change: the hook of every service without its own on_change (docs/events.md) */
  onChange?: string;
};

export type Daemon = {
  controller: Controller;
  consoles: Console[];
  http: HttpFace | null;
  log: DaemonLog;
  /** what a cfkd that died on this home left running, and what became of it */
  recovery: Recovery;
  /** SIGUSR1: reload the log config; false if it was broken (the old one stays) */
  reloadLog(): boolean;
  /** stop every service, close the console, release the lock; idempotent */
  shutdown(): Promise<void>;
  /** resolves when the daemon has shut down */
  done: Promise<void>;
  /** SIGCHLD: reap adopted orphans (a no-op without `subreaper`) */
  reap(): void;
  /** what cfkd should exit with once `done` (docs/container.md) */
  exitCode(): number;
};

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const home = resolve(o.home);
  const token = o.authTokenFile === undefined ? undefined : loadToken(o.authTokenFile);
  for (const a of [o.address, o.readonlyAddress]) {
    if (a && !isLoopback(a) && token === undefined) {
      throw new StartError(`refusing to serve the console on ${formatAddress(a)}, which is not loopback, without --auth-token-file`);
    }
  }
  if (o.http && !isLoopback(o.http.address) && token === undefined) {
    throw new StartError(`refusing to serve HTTP on ${formatAddress(o.http.address)}, which is not loopback, without --auth-token-file`);
  }
  prepareHome(home);
  const lock: Lock = acquireLock(home);
  let running: RunningLog | null = null;
  try {
    if (!o.log) {
      const stdoutTap = o.logStdout ? 1 : undefined;
      running = openDaemonLog({ configFile: o.logConfigFile ?? join(home, "log.config"), createMissing: o.logConfigFile === undefined, home, stdoutTap });
    }
  } catch (e) {
    lock.release();
    throw e instanceof LogConfigError ? new StartError(e.message) : e;
  }
  const log: DaemonLog = o.log ?? running!;
  log.event("info", raiseFdLimit());
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  let shutdownPromise: Promise<void> | null = null;

  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  baseEnv.CFKD_HOME = home;
  const sockets = new Sockets(log);
  const launchCtx = { baseEnv, defaultCwd: o.defaultCwd ?? process.cwd(), programs: new Map<string, string>(), sockets };
  const duties = new ContainerDuties({ pid: process.pid, home, subreaper: o.subreaper, init: o.init, trees: o.trees });
  const controller: Controller = new Controller({
    // out of descriptors, the consoles stop accepting until some are free (listener.ts)
    spawner: fdAware(refindingPrograms(launchCtx, o.spawner ?? bunSpawner), () => {
      for (const c of consoles) c.checkDescriptors();
    }),
    signals: o.signals ?? osSignals,
    trees: duties.trees,
    clock: o.clock ?? systemClock,
    log,
    random: Math.random,
    version: VERSION,
    prepare: (svc, argv) => prepareLaunch(launchCtx, svc, argv),
    prepareProxy: (name, props, argv, needs) => prepareProxyLaunch(launchCtx, name, props, argv, needs),
    requestShutdown: () => void shutdown(),
    sockets,
    notify: new NotifyHub(join(home, "notify")),
  });
  const hooks = new Hooks(controller.changes, {
    spawner: o.spawner ?? bunSpawner,
    signals: o.signals ?? osSignals,
    clock: o.clock ?? systemClock,
    log,
    env: baseEnv,
    cwd: launchCtx.defaultCwd,
    daemonHook: o.onChange ?? null,
    service: (name) => {
      const p = controller.registry.service(name)?.props;
      return p ? { cmd: p.on_change, timeoutMs: p.on_change_timeout_secs * 1000 } : null;
    },
  });
  const consoleFor = (address: Address, readonly: boolean) =>
    new Console({
      address,
      readonly,
      // the unix socket's file mode is its protection; TCP needs the token
      token: address.kind === "tcp" ? token : undefined,
      maxConnections: o.maxConnections ?? 1000,
      admission: o.admission,
      log,
      execute: (req, c) => {
        const reply = controller.execute(req, c);
        // a declaration or an action may change what the state file says
        if (req.kind !== "command" || !QUERIES.has(req.name)) state.schedule();
        return reply;
      },
    });
  const state = new StateWriter(stateFile(home), controller, log);
  const consoles = [consoleFor(o.address, false)];
  if (o.readonlyAddress) consoles.push(consoleFor(o.readonlyAddress, true));
  const http = o.http
    ? new HttpFace(
        {
          services: () => controller.registry.list(),
          changes: controller.registry.changes,
          tail: log.tail,
          consoleConnections: () => consoles.reduce((n, c) => n + c.connections, 0),
          consoleRequests: () => consoles.reduce((n, c) => n + c.requests, 0),
          version: VERSION,
          nowMs: () => (o.clock ?? systemClock).nowMs(),
        },
        { ...o.http, token, log },
      )
    : null;

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      log.event("info", "shutting down");
      // SPEC: cfkd is gone within max stopwait + 1 s, whoever still holds a service's pipes
      const deadline = Date.now() + duties.shutdownBudgetMs(controller);
      const left = () => Math.max(0, deadline - Date.now());
      await duties.shutdown(controller, log);
      await hooks.finish();
      state.close(); // a clean end: nothing left for the next cfkd to find
      // the services' last lines are written before anyone may start the next cfkd
      await log.flush(left());
      // Socket files and lock go before the connections close: a client that
      // waits for its connection to end (cfkctl shutdown) may start the next cfkd.
      for (const c of consoles) c.removeSocketFile();
      http?.close();
      http?.removeSocketFile();
      lock.release();
      log.event("info", "cfkd stopped");
      await running?.close(left());
      // last: a client waiting for its connection to end finds cfkd gone
      for (const c of consoles) c.close();
      finished();
    })();
    return shutdownPromise;
  };

  duties.watchEssential(controller, log, () => void shutdown());

  try {
    if (o.configFile) loadConfig(controller, o.configFile);
    for (const c of consoles) c.listen();
    http?.listen();
  } catch (e) {
    for (const c of consoles) {
      if (c.listening) c.removeSocketFile();
      c.close();
    }
    http?.close();
    controller.stopAll();
    sockets.unbindAll();
    duties.release();
    lock.release();
    throw e;
  }
  // What a cfkd that died left running (survival.ts): adopted or stopped,
  // before any request is read (this runs in the same tick as listen).
  const recovery = recover(stateFile(home), controller, log, o.clock ?? systemClock, o.signals ?? osSignals);
  controller.changes.subscribe((c) => state.schedule(c.name));
  state.schedule();
  const where = consoles.map((c) => formatAddress(c.address) + (c.readonly ? " (read-only)" : "")).join(", ");
  const httpWhere = http ? `, HTTP on ${formatAddress(http.address.kind === "tcp" ? { ...http.address, port: http.port! } : http.address)}` : "";
  log.event("info", `cfkd ${VERSION} started (pid ${process.pid}), console on ${where}${httpWhere}`);
  duties.announce(log, o.logStdout === true);
  return {
    controller,
    consoles,
    http,
    log,
    recovery,
    reloadLog: () => running?.reload() ?? false,
    shutdown,
    done,
    reap: () => duties.reap(),
    exitCode: () => duties.exitCode(),
  };
}

/** Requests that change nothing the state file records. */
const QUERIES = new Set(["status", "desc", "list", "pids", "version", "proxystatus", "tail", "sockets", "info", "dump", "rolls"]);
