/**
 * [ext] Surviving a crash of cfkd itself (docs/crash-survival.md).
 *
 * cfkd records what it runs in `$home/state` — for each process it spawned:
 * the service, the pid, the process's start time from /proc, whether it
 * leads its own group, and the statements that declare the service; for
 * each proxy its pid and start time. The file is rewritten (write to a
 * temporary file, then rename: never half-written) at the end of every tick
 * in which a service changed state or a statement ran, and removed at a
 * clean shutdown.
 *
 * A cfkd that starts on a home whose state file is still there knows that
 * its predecessor died without shutting down (the lock makes sure that
 * predecessor is gone). For every recorded process it checks that the pid
 * is alive AND has the recorded start time — a pid alone proves nothing,
 * it may have been reused by an unrelated process, which is then left
 * alone. The rule:
 *   - a service process found alive is ADOPTED: the service (declared by
 *     `-c`, else declared again from the recorded statements) is `running`
 *     with that pid; cfkd watches it until it is gone (exit status unknown,
 *     then respawned per respawn_on_fail) and can stop it as any other;
 *   - a proxy found alive is STOPPED (SIGTERM to its group, SIGKILL after
 *     2 s): its pipes died with the old cfkd; its services start again
 *     through a new proxy when asked;
 *   - the old generation of a reload under way (`older`) is STOPPED the
 *     same way: the reload's new process is the one adopted.
 * So nothing runs twice after `start all`, and nothing unrelated is hit.
 *
 * Races handled: a crash between a spawn and the next write (the process is
 * not recorded: it runs on unsupervised, as it did before this feature); a
 * state file from an older format or garbage (ignored, reported).
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Controller } from "./controller.ts";
import type { DaemonLog } from "./logging/types.ts";
import { serviceStatements } from "./dump.ts";
import { parseRequest } from "../protocol/request.ts";
import { cmdText } from "./service/props.ts";
import { leadsGroup, sameProcess, startTicks } from "./os/procfs.ts";
import { SIGKILL, SIGTERM, type Signals } from "./os/signals.ts";
import type { Clock } from "./os/clock.ts";

const VERSION = 1;
const PROXY_STOP_MS = 2000;

export type RecordedService = {
  name: string;
  pid: number;
  start_ticks: string;
  group: boolean;
  /** epoch seconds of the start, as status shows it */
  started: number;
  cmd: string;
  statements: string[];
  /** a reload's old generation, alive beside `pid` (docs/prefork.md) */
  older?: { pid: number; start_ticks: string; group: boolean };
};
export type RecordedProxy = { name: string; pid: number; start_ticks: string };
export type StateRecord = { version: number; cfkd: number; services: RecordedService[]; proxies: RecordedProxy[] };

export const stateFile = (home: string) => join(home, "state");

/**
 * Keeps `$home/state` up to date with what the controller runs. The record
 * of each service is kept and rebuilt only when that service changed (a
 * change names it) — 200 services respawning in a loop must not rebuild 200
 * records at every one of their changes; a statement or command marks all.
 * A write follows a change in the same tick, unless the last write is less
 * than MIN_INTERVAL_MS old: then it waits for the rest of that interval, so
 * a storm of changes costs at most 1000/MIN_INTERVAL_MS writes a second.
 */
export class StateWriter {
  static readonly MIN_INTERVAL_MS = 50;
  private pending = false;
  private lastWriteAt = 0;
  private closed = false;
  private last = "";
  private all = true;
  private dirty = new Set<string>();
  private records = new Map<string, RecordedService>();

  constructor(
    private readonly path: string,
    private readonly controller: Controller,
    private readonly log: DaemonLog,
  ) {}

  /** Rewrite the file at the end of this tick (many changes, one write); `name`: only it changed. */
  schedule(name?: string): void {
    if (this.closed) return;
    if (name === undefined) this.all = true;
    else this.dirty.add(name);
    if (this.pending) return;
    this.pending = true;
    const run = () => {
      this.pending = false;
      if (!this.closed) this.write();
    };
    const wait = this.lastWriteAt + StateWriter.MIN_INTERVAL_MS - Date.now();
    if (wait > 0) setTimeout(run, wait);
    else queueMicrotask(run);
  }

  /** What the file says now. */
  snapshot(): StateRecord {
    const names = this.all ? this.controller.list().map((s) => s.name) : [...this.dirty];
    if (this.all) this.records.clear();
    this.all = false;
    this.dirty.clear();
    for (const name of names) {
      const r = this.record(name);
      if (r === null) this.records.delete(name);
      else this.records.set(name, r);
    }
    const proxies: RecordedProxy[] = [];
    for (const p of this.controller.registry.declared().proxies) {
      const pid = p.pid ?? null;
      const ticks = pid === null ? null : startTicks(pid);
      if (pid !== null && ticks !== null) proxies.push({ name: p.name, pid, start_ticks: ticks });
    }
    const services = [...this.records.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return { version: VERSION, cfkd: process.pid, services, proxies };
  }

  /** One service's record, or null when it has no process of its own running. */
  private record(name: string): RecordedService | null {
    const svc = this.controller.registry.service(name);
    const p = svc?.process ?? null;
    if (!svc || p === null) return null;
    const old = this.records.get(name);
    const st = svc.status();
    // the same process as last time: its start time is known already
    const ticks = p.adopted?.ticks ?? (old?.pid === p.pid && old.started === st.start_time ? old.start_ticks : startTicks(p.pid));
    if (ticks === null) return null; // already gone: its exit is on its way
    const r: RecordedService = {
      name,
      pid: p.pid,
      start_ticks: ticks,
      group: p.groupLeader,
      started: st.start_time ?? 0,
      cmd: st.running_cmd || cmdText(svc.props.cmd),
      statements: serviceStatements({ name, props: svc.props, proxy: null }),
    };
    const o = svc.olderProcess;
    const oTicks = o === null ? null : old?.older?.pid === o.pid ? old.older.start_ticks : startTicks(o.pid);
    if (o !== null && oTicks !== null) r.older = { pid: o.pid, start_ticks: oTicks, group: o.groupLeader };
    return r;
  }

  private write(): void {
    this.lastWriteAt = Date.now();
    const text = JSON.stringify(this.snapshot()) + "\n";
    if (text === this.last) return;
    try {
      writeFileSync(`${this.path}.tmp`, text, { mode: 0o600 });
      renameSync(`${this.path}.tmp`, this.path);
      this.last = text;
    } catch (e) {
      this.log.event("error", `cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  /** A clean shutdown: nothing is left running, so nothing to find next time. */
  close(): void {
    this.closed = true;
    try {
      unlinkSync(this.path);
    } catch {
      /* never written */
    }
  }
}

/** Read a state file; null when there is none or it cannot be understood (said in the log). */
export function readState(path: string, log: DaemonLog): StateRecord | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as StateRecord;
    if (r.version !== VERSION || !Array.isArray(r.services) || !Array.isArray(r.proxies)) throw new Error(`unknown format (version ${r.version})`);
    return r;
  } catch (e) {
    log.event("warn", `ignoring ${path}: ${(e as Error).message}`);
    return null;
  }
}

export type Recovery = { adopted: string[]; stopped: string[]; gone: number };

/**
 * Apply the rule to what a dead cfkd left (see the top of this file). Runs
 * after `-c` and before the console accepts anyone.
 */
export function recover(path: string, controller: Controller, log: DaemonLog, clock: Clock, signals: Signals): Recovery {
  const out: Recovery = { adopted: [], stopped: [], gone: 0 };
  const st = readState(path, log);
  if (st === null) return out;
  for (const r of st.services) {
    if (r.older && sameProcess(r.older.pid, r.older.start_ticks)) {
      // a reload was under way: its old generation must not serve on unsupervised
      stopFound(r.older.pid, r.older.start_ticks, r.older.group && leadsGroup(r.older.pid), clock, signals);
      out.stopped.push(`${r.name}'s old generation`);
    }
    if (!sameProcess(r.pid, r.start_ticks)) {
      out.gone++; // exited, or the pid now names another process: leave it alone
      continue;
    }
    if (controller.registry.service(r.name) === undefined) {
      for (const line of r.statements) {
        const reply = controller.execute(parseRequest(line));
        if (reply.error !== undefined) log.event("warn", `re-declaring ${r.name} from ${path}: '${line}': ${reply.error}`);
      }
    }
    const svc = controller.registry.service(r.name);
    const leader = r.group && leadsGroup(r.pid);
    if (svc && svc.proxy === null && svc.adopt(r.pid, { ticks: r.start_ticks, groupLeader: leader }, r.started, r.cmd)) {
      out.adopted.push(r.name);
    } else {
      // declared under a proxy now, or busy: it must not run twice
      stopFound(r.pid, r.start_ticks, leader, clock, signals);
      out.stopped.push(r.name);
    }
  }
  for (const p of st.proxies) {
    if (!sameProcess(p.pid, p.start_ticks)) {
      out.gone++;
      continue;
    }
    stopFound(p.pid, p.start_ticks, leadsGroup(p.pid), clock, signals);
    out.stopped.push(`proxy ${p.name}`);
  }
  const found = out.adopted.length + out.stopped.length;
  if (found + out.gone > 0) {
    log.event(
      "info",
      `previous cfkd (pid ${st.cfkd}) died leaving ${found} process${found === 1 ? "" : "es"} running: adopted ${out.adopted.length}` +
        `${out.adopted.length ? ` (${out.adopted.join(", ")})` : ""}, stopped ${out.stopped.length}` +
        `${out.stopped.length ? ` (${out.stopped.join(", ")})` : ""}; ${out.gone} already gone`,
    );
  }
  return out;
}

/** SIGTERM, then SIGKILL after PROXY_STOP_MS — each only while the pid is still that process. */
function stopFound(pid: number, ticks: string, leader: boolean, clock: Clock, signals: Signals): void {
  if (!sameProcess(pid, ticks)) return;
  signals.process(pid, SIGTERM, leader);
  clock.after(PROXY_STOP_MS, () => {
    if (sameProcess(pid, ticks)) signals.process(pid, SIGKILL, leader);
  });
}
