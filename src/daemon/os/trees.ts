/**
 * A service's process tree: everything its process started, however it
 * forked, so that a stop can end all of it and "stopped" can wait until it
 * is gone. Two ways to know the tree, chosen once at start:
 *
 * - cgroup: each service runs in its own cgroup v2 (cgroup.ts); the kernel
 *   keeps the list, `cgroup.kill` ends it, `cgroup.events` says when empty.
 * - process-group (the fallback, no writable cgroup2): the tree is what can
 *   be attributed to the service among cfkd's descendants, cfkd being a
 *   child subreaper (reaper.ts) so that nothing escapes from under it:
 *     1. the leader and everything below it while it lives;
 *     2. cfkd's adopted children (orphans reparented to it) in the leader's
 *        process group or session (pgid or sid = the leader's pid, kept
 *        unless they call setsid/setpgid),
 *     3. or whose environment carries this cfkd's CFKD_HOME and
 *        CONTROL_FREAK_SERVICE=<name> (cfkd sets both in every service's
 *        environment; a double-forked daemon that left the session keeps
 *        them unless it scrubs its environment);
 *     4. everything below a process found by 2-3.
 *   A process that left the session AND scrubbed its environment cannot be
 *   attributed; it is still cfkd's adopted child, so it is SIGKILLed when
 *   cfkd shuts down.
 */
import { join } from "node:path";
import { cgroupPids, cgroupUsage, killCgroup, makeCgroup, populated, removeCgroup, setupCgroups, signalCgroup, waitEmpty } from "./cgroup.ts";
import { childrenOf, descendantsOf, envVar, isLive, procStat } from "./procfs.ts";
import { isSpawnedChild } from "./spawner.ts";
import { sendSignal, SIGKILL } from "./signals.ts";

export type TreeMode = "cgroup" | "process-group";

export interface Trees {
  readonly mode: TreeMode;
  /** for the start-up line: where the trees live, or why not in cgroups */
  readonly detail: string;
  /** the cgroup a service's process must start in (cgroup mode), else undefined */
  placement(service: string): string | undefined;
  /** live processes of the service's tree, the leader included if alive */
  members(service: string, leader: number): number[];
  /** send a signal to every process of the tree */
  signal(service: string, leader: number, signal: number): void;
  /** SIGKILL every process of the tree */
  kill(service: string, leader: number): void;
  /** true once the tree is empty; false if still not at the deadline */
  waitEmpty(service: string, leader: number, ms: number): Promise<boolean>;
  /** CPU µs and memory bytes of the tree when known (cgroup mode) */
  usage(service: string): { cpuUsec: number | null; memoryBytes: number | null } | null;
  /** the service is forgotten: drop its cgroup */
  release(service: string): void;
  /** cfkd is exiting: drop every cgroup */
  releaseAll(): void;
}

/** cgroup mode when possible, else the process-group fallback. */
export function openTrees(o: { pid: number; home: string; disabled?: string }): Trees {
  const root = o.disabled ? o.disabled : setupCgroups(o.pid);
  if (typeof root === "string") return new ProcessTrees(o.pid, o.home, root);
  return new CgroupTrees(root.dir, root.controllers);
}

class CgroupTrees implements Trees {
  readonly mode = "cgroup";
  readonly detail: string;
  private made = new Set<string>();

  constructor(
    private readonly root: string,
    controllers: string[],
  ) {
    this.detail = `${root}` + (controllers.length ? ` (controllers: ${controllers.join(" ")})` : "");
  }

  private dir(service: string): string {
    return join(this.root, `${service}.service`);
  }

  placement(service: string): string | undefined {
    const d = this.dir(service);
    if (!this.made.has(service)) {
      if (makeCgroup(d) !== null) return undefined;
      this.made.add(service);
    }
    return d;
  }
  members(service: string): number[] {
    return this.made.has(service) ? cgroupPids(this.dir(service)) : [];
  }
  signal(service: string, _leader: number, signal: number): void {
    if (this.made.has(service)) signalCgroup(this.dir(service), signal);
  }
  kill(service: string): void {
    if (this.made.has(service)) killCgroup(this.dir(service));
  }
  waitEmpty(service: string, _leader: number, ms: number): Promise<boolean> {
    return this.made.has(service) ? waitEmpty(this.dir(service), ms) : Promise.resolve(true);
  }
  usage(service: string) {
    return this.made.has(service) ? cgroupUsage(this.dir(service)) : null;
  }
  release(service: string): void {
    if (!this.made.has(service)) return;
    const d = this.dir(service);
    if (populated(d)) killCgroup(d);
    if (removeCgroup(d)) this.made.delete(service);
  }
  releaseAll(): void {
    for (const s of [...this.made]) this.release(s);
    removeCgroup(this.root);
  }
}

const POLL_MS = 25;

class ProcessTrees implements Trees {
  readonly mode = "process-group";

  constructor(
    private readonly self: number,
    private readonly home: string,
    readonly detail: string,
  ) {}

  placement(): undefined {
    return undefined;
  }

  /**
   * cfkd is a child subreaper: when a process dies, its children become
   * cfkd's. So a service's processes are either below its living leader,
   * or below one of cfkd's adopted children (those the spawner does not
   * own); only those roots are examined, not the whole process table.
   */
  members(service: string, leader: number): number[] {
    const found = new Set<number>();
    const add = (p: number) => {
      found.add(p);
      for (const d of descendantsOf([p])) found.add(d);
    };
    // the leader's own pid only while it is still our unreaped child: once
    // reaped, its number may belong to someone else (a group or session id
    // cannot be reused while a member is alive, so those stay safe)
    const st = procStat(leader);
    if (st !== null && st.ppid === this.self && st.state !== "Z") add(leader);
    for (const p of childrenOf(this.self)) {
      if (found.has(p) || isSpawnedChild(p)) continue;
      const c = procStat(p);
      if (c === null || c.state === "Z") continue;
      if (c.pgrp === leader || c.sid === leader || this.marked(p, service)) add(p);
    }
    return [...found].filter(isLive);
  }

  private marked(pid: number, service: string): boolean {
    return envVar(pid, "CONTROL_FREAK_SERVICE") === service && envVar(pid, "CFKD_HOME") === this.home;
  }

  signal(service: string, leader: number, signal: number): void {
    for (const p of this.members(service, leader)) sendSignal(p, signal);
  }
  kill(service: string, leader: number): void {
    this.signal(service, leader, SIGKILL);
  }
  async waitEmpty(service: string, leader: number, ms: number): Promise<boolean> {
    // Polled, but only while a stop is under way: nothing runs when idle.
    const end = performance.now() + ms;
    for (;;) {
      if (this.members(service, leader).length === 0) return true;
      if (performance.now() >= end) return false;
      await Bun.sleep(Math.min(POLL_MS, Math.max(1, end - performance.now())));
    }
  }
  usage(): null {
    return null;
  }
  release(): void {}
  releaseAll(): void {}
}
