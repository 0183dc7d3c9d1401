/**
 * Wires a running daemon together: home and lock, logging, controller,
 * console. `startDaemon` resolves once the management socket accepts
 * connections; `stop` brings every service down, then releases everything.
 */
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Controller } from "./controller.ts";
import { Console } from "./console.ts";
import { prepareHome, acquireLock, StartError, type Lock } from "./os/home.ts";
import { systemClock, type Clock } from "./os/clock.ts";
import { bunSpawner, type Spawner } from "./os/spawner.ts";
import { prepareLaunch } from "./launch.ts";
import type { DaemonLog } from "./logging/types.ts";
import { openDaemonLog, LogConfigError, type RunningLog } from "./logging/daemonLog.ts";
import { parseRequest, cleanLine } from "../protocol/request.ts";
import { formatAddress, type Address } from "../protocol/address.ts";
import { VERSION } from "../version.ts";

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
  maxConnections?: number;
};

export type Daemon = {
  controller: Controller;
  console: Console;
  log: DaemonLog;
  /** SIGUSR1: reload the log config; false if it was broken (the old one stays) */
  reloadLog(): boolean;
  /** stop every service, close the console, release the lock; idempotent */
  shutdown(): Promise<void>;
  /** resolves when the daemon has shut down */
  done: Promise<void>;
};

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const home = resolve(o.home);
  prepareHome(home);
  const lock: Lock = acquireLock(home);
  let running: RunningLog | null = null;
  try {
    if (!o.log) running = openDaemonLog({ configFile: o.logConfigFile ?? join(home, "log.config"), createMissing: o.logConfigFile === undefined, home });
  } catch (e) {
    lock.release();
    throw e instanceof LogConfigError ? new StartError(e.message) : e;
  }
  const log: DaemonLog = o.log ?? running!;
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  let shutdownPromise: Promise<void> | null = null;

  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  baseEnv.CFKD_HOME = home;
  const launchCtx = { baseEnv, defaultCwd: o.defaultCwd ?? process.cwd() };

  const controller: Controller = new Controller({
    spawner: o.spawner ?? bunSpawner,
    clock: o.clock ?? systemClock,
    log,
    random: Math.random,
    version: VERSION,
    prepare: (svc, argv) => prepareLaunch(launchCtx, svc, argv),
    requestShutdown: () => void shutdown(),
  });
  const con = new Console({
    address: o.address,
    readonly: false,
    maxConnections: o.maxConnections ?? 1000,
    log,
    execute: (req, c) => controller.execute(req, c),
  });

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      log.event("info", "shutting down");
      controller.stopAll();
      const maxStopwait = Math.max(0, ...controller.list().map((s) => s.props.stopwait_secs));
      await Promise.race([controller.allDown(), Bun.sleep(maxStopwait * 1000 + 1000)]);
      con.close();
      if (o.address.kind === "unix") removeQuietly(o.address.path);
      log.event("info", "cfkd stopped");
      await (running ? running.close() : log.flush());
      lock.release();
      finished();
    })();
    return shutdownPromise;
  };

  try {
    if (o.configFile) loadConfig(controller, o.configFile);
    if (o.address.kind === "unix" && existsSync(o.address.path)) {
      if (await answers(o.address.path)) throw new StartError(`${formatAddress(o.address)} is in use by another process`);
      removeQuietly(o.address.path); // stale: nobody listens on it
    }
    try {
      con.listen();
    } catch (e) {
      throw new StartError(`cannot listen on ${formatAddress(o.address)}: ${(e as Error).message}`);
    }
  } catch (e) {
    controller.stopAll();
    lock.release();
    throw e;
  }
  log.event("info", `cfkd ${VERSION} started (pid ${process.pid}), console on ${formatAddress(o.address)}`);
  return { controller, console: con, log, reloadLog: () => running?.reload() ?? false, shutdown, done };
}

/** `-c FILE`: run each statement; the first error aborts start-up with file:line. */
export function loadConfig(controller: Controller, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new StartError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  const base = dirname(resolve(file));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replaceAll("${BASE}", base);
    if (cleanLine(line) === "") continue;
    const reply = controller.execute(parseRequest(line));
    if (reply.error !== undefined) throw new StartError(`${file}:${i + 1}: ${reply.error}`);
  }
}

/** Does something accept connections on this unix socket? */
async function answers(path: string): Promise<boolean> {
  try {
    const s = await Bun.connect({ unix: path, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
