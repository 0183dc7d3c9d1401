/**
 * The daemon's log: reads the Log4perl-syntax config, sets log4js up from
 * it, sends the daemon's events and the services' captured output through
 * it, feeds the tail ring, and reloads the config on request (SIGUSR1).
 *
 * Reload is all-or-nothing: the new config is parsed and every file it
 * names is opened before anything changes; if any step fails the old
 * config stays in force and the error is logged through it.
 */
import { mkdirSync, openSync, readFileSync, constants as C, ftruncateSync } from "node:fs";
import { unlinkQuietly } from "../os/files.ts";
import { dirname } from "node:path";
import { translate, type Plan } from "./translate.ts";
import { Sink, SinkHub } from "./sinks.ts";
import { makeAppender, type AppenderFn, type Rec } from "./appenders.ts";
import { StdoutTap } from "./stdoutTap.ts";
import { configure, levelValue, record } from "./backend.ts";
import { drainBatches, LineBatch } from "./lines.ts";
import { Tail } from "./tail.ts";
import { writeDefaultConfig } from "./defaults.ts";
import type { DaemonLog, Level, Source, Stream } from "./types.ts";

/** A log config that cannot be used; the message names file and line. */
export class LogConfigError extends Error {}

export type DaemonLogOptions = {
  configFile: string;
  /** create configFile with the default content when it is missing */
  createMissing: boolean;
  home: string;
  env?: Record<string, string | undefined>;
  /** where trouble with logging itself is reported (cfkd's stderr) */
  complain?: (s: string) => void;
  /** --log-stdout: also every service line, as `name | line`, on this fd (1) */
  stdoutTap?: number;
};

export type RunningLog = DaemonLog & {
  /** SIGUSR1: re-read the config; on error keep the old one and log why */
  reload(): boolean;
  /** write everything (waiting at most maxMs, as flush), close the files */
  close(maxMs?: number): Promise<void>;
};

const FLUSH_WAIT_MS = 2000;

/** Open the log; throws LogConfigError when the config cannot be used. */
export function openDaemonLog(o: DaemonLogOptions): RunningLog {
  const complain = o.complain ?? ((s: string) => process.stderr.write(s));
  const env = o.env ?? process.env;
  const hub = new SinkHub((m) => complain(`cfkd: ${m}\n`));
  const tail = new Tail();
  const tap = o.stdoutTap === undefined ? null : new StdoutTap(o.stdoutTap, hub);
  let sinks = new Map<string, Sink>();
  let current: { categories: Plan["categories"]; fns: Map<string, AppenderFn> } | null = null;
  let active = 0;
  const idle: (() => void)[] = [];
  let closed = false;

  const safe = (f: () => void) => {
    if (closed) return; // after close(): the files are gone
    try {
      f();
    } catch (e) {
      complain(`cfkd: logging failed: ${(e as Error)?.stack ?? e}\n`);
    }
  };

  const activate = () => {
    let text: string;
    try {
      text = readFileSync(o.configFile, "utf8");
    } catch (e) {
      throw new LogConfigError(`cannot read log config ${o.configFile}: ${(e as Error).message}`);
    }
    const plan = translate(text, o.home, env);
    if (!plan.ok) throw new LogConfigError(`${o.configFile}:${plan.line}: ${plan.message}`);
    const next = openSinks(plan.value, sinks, hub, o.configFile);
    const fns = new Map<string, AppenderFn>();
    for (const a of plan.value.appenders) {
      const sink = next.get(a.kind === "file" ? a.path : `fd:${a.fd}`)!;
      fns.set(a.name, makeAppender(a.layout, sink, a.threshold ? levelValue(a.threshold) : 0));
    }
    try {
      configure(plan.value.categories, fns);
    } catch (e) {
      // log4js refused it (it should not): put the old set-up back
      for (const [key, s] of next) if (sinks.get(key) !== s) void s.close();
      if (current) configure(current.categories, current.fns);
      throw new LogConfigError(`${o.configFile}: log4js refused the configuration: ${(e as Error).message}`);
    }
    for (const [key, s] of sinks) if (next.get(key) !== s) void s.close();
    sinks = next;
    current = { categories: plan.value.categories, fns };
  };

  if (o.createMissing) {
    try {
      writeDefaultConfig(o.configFile);
    } catch (e) {
      throw new LogConfigError(`cannot create log config ${o.configFile}: ${(e as Error).message}`);
    }
  }
  activate();

  const lines = (source: Source, name: string, stream: Stream, pid: number | null, batch: LineBatch) => {
    safe(() => record(`${source}.${name}.${stream}`, stream === "out" ? "info" : "error", { batch, pid, stream } satisfies Rec));
    if (source === "service") safe(() => tail.add(name, stream, batch));
    if (tap && source === "service") safe(() => tap.lines(name, stream, batch));
    return hub.pressure();
  };

  const log: RunningLog = {
    event(level: Level, message: string, pid?: number | null) {
      safe(() => record("cfkd", level, { text: escapeControls(message), pid: pid ?? null }));
      if (tap) safe(() => tap.event(level, message));
    },
    serviceLine(service, stream, pid, line) {
      return lines("service", service, stream, pid, LineBatch.of(line));
    },
    proxyLine(proxy, stream, pid, line) {
      return lines("proxy", proxy, stream, pid, LineBatch.of(line));
    },
    async capture(source, name, stream, pid, from) {
      active++;
      try {
        await drainBatches(from, (b) => lines(source, name, stream, pid, b));
      } finally {
        if (--active === 0) for (const w of idle.splice(0)) w();
      }
    },
    tail,
    reload() {
      log.event("info", "Reloading log config");
      try {
        activate();
      } catch (e) {
        const m = e instanceof LogConfigError ? e.message : String((e as Error)?.stack ?? e);
        log.event("error", `There is an error in my config. Aborting. (${m})`);
        complain(`cfkd: log config not reloaded, the old one stays in force: ${m}\n`);
        return false;
      }
      log.event("info", "Log config reloaded");
      return true;
    },
    async flush(maxMs = FLUSH_WAIT_MS) {
      const captures = active === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r));
      const until = Date.now() + maxMs;
      // the pipes' end, at most until the deadline; then what was read is written (same deadline)
      await Promise.race([captures, Bun.sleep(maxMs)]);
      await Promise.race([hub.drained(), Bun.sleep(Math.max(0, until - Date.now()))]);
    },
    async close(maxMs = FLUSH_WAIT_MS) {
      await log.flush(maxMs);
      closed = true;
      await Promise.all([...sinks.values()].map((s) => s.close()));
      sinks = new Map();
    },
  };
  return log;
}

/**
 * The daemon's own records are composed from values it did not write
 * (service names, commands, reasons from the OS or a proxy, peer addresses):
 * a newline among them would end the record and start a forged one. So every
 * event's text passes here, the one place: C0 controls, DEL, C1 controls and
 * the Unicode line/paragraph separators become visible escapes (\n, \r, \t,
 * \xHH, \uHHHH). Captured service output is not an event: it is split into
 * lines already.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}

/**
 * One sink per file (and per fd 1/2) the plan uses. Everything is opened
 * before anything is changed; a file that stays from the old config gets a
 * fresh descriptor (so USR1 after a log rotation writes to the new file),
 * queued behind the old one. `mode=write` truncates only a file the old
 * config did not have open: a reload does not wipe the log.
 */
function openSinks(plan: Plan, old: Map<string, Sink>, hub: SinkHub, configFile: string): Map<string, Sink> {
  const next = new Map<string, Sink>();
  const fresh: Sink[] = [];
  const created: string[] = [];
  const truncate: number[] = [];
  for (const a of plan.appenders) {
    const key = a.kind === "file" ? a.path : `fd:${a.fd}`;
    if (next.has(key)) continue;
    if (a.kind === "screen") {
      next.set(key, old.get(key) ?? new Sink(a.fd, a.fd === 2 ? "stderr" : "stdout", false, hub));
      continue;
    }
    let fd: number;
    try {
      if (a.mkpath) mkdirSync(dirname(a.path), { recursive: true, mode: 0o700 });
      fd = openLogFile(a.path, a.umask === null ? 0o600 : 0o666 & ~a.umask, created);
    } catch (e) {
      for (const s of fresh) void s.close();
      for (const p of created) unlinkQuietly(p);
      throw new LogConfigError(`${configFile}:${a.line}: appender ${a.name}: cannot open ${a.path}: ${(e as Error).message}`);
    }
    const mode = a.umask === null ? 0o600 : 0o666 & ~a.umask;
    const s = new Sink(fd, a.path, true, hub, old.get(key), a.rotate && { path: a.path, ...a.rotate, mode });
    fresh.push(s);
    next.set(key, s);
    if (a.mode === "write" && !old.has(key)) truncate.push(fd);
  }
  for (const fd of truncate) ftruncateSync(fd, 0);
  return next;
}

/** Open for appending; note the path in `created` when this made the file. */
function openLogFile(path: string, mode: number, created: string[]): number {
  const flags = C.O_WRONLY | C.O_CREAT | C.O_APPEND;
  try {
    const fd = openSync(path, flags | C.O_EXCL, mode);
    created.push(path);
    return fd;
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
    return openSync(path, flags, mode);
  }
}
