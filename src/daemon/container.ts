/**
 * cfkd as a container's entrypoint (docs/container.md): the orphan reaper
 * and the per-service process trees, the end of an essential service that
 * ends cfkd, the grace deadline of a shutdown, SIGKILL to whatever is left,
 * and the exit code that tells the orchestrator what happened.
 */
import type { Controller } from "./controller.ts";
import type { DaemonLog } from "./logging/types.ts";
import { openTrees, type Trees } from "./os/trees.ts";
import { Reaper } from "./os/reaper.ts";
import { killNamespace, sendSignal, SIGKILL } from "./os/signals.ts";

/** Inside Kubernetes' default terminationGracePeriodSeconds (30). */
export const DEFAULT_GRACE_SECS = 25;

/** The exit code when something had to be SIGKILLed and no essential service decided it: 128+SIGKILL. */
export const KILLED_EXIT = 128 + SIGKILL;

export type ContainerOptions = {
  pid: number;
  home: string;
  /** become a child subreaper and reap adopted orphans */
  subreaper?: boolean;
  /** PID-1 mode: the shutdown's grace; SIGKILL after it; the exit-code rule */
  init?: { graceSecs: number };
  /** per-service process trees: "auto" = cgroup v2 where writable; absent = 1.0's leader-only view */
  trees?: "auto" | "process-group";
};

/**
 * The exit code an essential service hands on: its own, 128+signal when a
 * signal ended it (the shell's rule), 1 when it never ran (spawn failed).
 */
export function exitCodeOf(last: { code: number | null; signal: number | null } | null): number {
  if (last === null) return 1;
  if (last.signal !== null) return 128 + last.signal;
  return last.code ?? 1;
}

export class ContainerDuties {
  readonly trees: Trees | undefined;
  private readonly reaper: Reaper | undefined;
  private readonly subreaperError: string | null;
  private essentialExit: number | null = null;
  private killed = false;

  constructor(private readonly o: ContainerOptions) {
    this.subreaperError = o.subreaper ? Reaper.subreaper() : null;
    this.reaper = o.subreaper && this.subreaperError === null ? new Reaper(o.pid) : undefined;
    this.trees = o.trees && openTrees({ pid: o.pid, home: o.home, disabled: o.trees === "process-group" ? "--cgroups off" : undefined });
  }

  /** SIGCHLD: reap adopted orphans. */
  reap(): void {
    this.reaper?.reap();
  }

  /** Say once, at start, how cfkd runs. */
  announce(log: DaemonLog, logStdout: boolean): void {
    const o = this.o;
    if (o.init) log.event("info", `PID-1 mode: reaping every orphan, shutdown grace ${o.init.graceSecs}s${logStdout ? ", service output on stdout" : ""}`);
    if (this.subreaperError !== null) log.event("warn", `cannot become a child subreaper (${this.subreaperError}): orphans of services go to init`);
    const t = this.trees;
    if (t) log.event("info", t.mode === "cgroup" ? `process trees: cgroup v2, ${t.detail}` : `process trees: process groups and adopted orphans (no cgroup: ${t.detail})`);
  }

  /**
   * Call `shutdown` once, when an essential service goes down other than by
   * cfkd's own shutdown: it exited, failed, or was stopped. A restart is no
   * end (the service goes from stopping straight to starting), and an
   * essential service is never respawned (service.ts), so a crash is an end.
   * It may end while the config loads: the shutdown then starts once
   * start-up is complete (a microtask later).
   */
  watchEssential(controller: Controller, log: DaemonLog, shutdown: () => void): void {
    controller.changes.subscribe((c) => {
      if (this.essentialExit !== null || controller.shuttingDown) return;
      if (c.to !== "stopped" && c.to !== "fail" && c.to !== "fatal") return;
      const svc = controller.list().find((s) => s.name === c.name);
      if (!svc?.props.essential) return;
      this.essentialExit = exitCodeOf(svc.lastExit);
      log.event("warn", `essential service ${c.name} ended (exit code ${this.essentialExit}): cfkd shuts down`);
      queueMicrotask(shutdown);
    });
  }

  /**
   * Stop everything: within --grace in PID-1 mode (else the registry's own
   * bound), then SIGKILL what is left — every service's whole tree, every
   * orphan cfkd adopted, and, as PID 1 of a namespace, every other process
   * in it (what the kernel does anyway when PID 1 exits, but before cfkd's
   * last log lines, not after).
   */
  async shutdown(controller: Controller, log: DaemonLog): Promise<void> {
    const init = this.o.init;
    const r = await controller.registry.shutdown({
      limitMs: init ? init.graceSecs * 1000 : undefined,
      late: init ? () => log.event("warn", `shutdown grace of ${init.graceSecs}s is over: SIGKILL to everything left`) : undefined,
      finalKill: this.reaper || this.trees ? () => this.killEverything(controller) : undefined,
    });
    this.killed = r.killed;
    this.trees?.releaseAll();
  }

  /**
   * How long the whole shutdown may take: the registry's (longest stopwait
   * + 1 s), or in PID-1 mode --grace; plus a second for the final SIGKILL.
   */
  shutdownBudgetMs(controller: Controller): number {
    const stop = this.o.init ? this.o.init.graceSecs * 1000 : controller.registry.shutdownBudgetMs();
    return stop + (this.reaper || this.trees ? 1000 : 0);
  }

  private killEverything(controller: Controller): void {
    for (const s of controller.list()) {
      if (s.pid === null || s.runningUnder !== null) continue;
      if (this.trees) this.trees.kill(s.name, s.pid);
      else sendSignal(-s.pid, SIGKILL) || sendSignal(s.pid, SIGKILL);
    }
    for (const p of this.reaper?.adopted() ?? []) sendSignal(p, SIGKILL);
    killNamespace();
  }

  /** Start-up failed: drop the cgroups made so far. */
  release(): void {
    this.trees?.releaseAll();
  }

  /** The exit code rule (docs/container.md). */
  exitCode(): number {
    return this.essentialExit ?? (this.o.init && this.killed ? KILLED_EXIT : 0);
  }
}
