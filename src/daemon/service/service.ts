/**
 * One supervised service: its properties, its life-cycle machine, and the
 * runner that turns the machine's effects into processes, signals and
 * timers. Events (commands, exits, timer firings) go through `dispatch`,
 * one at a time; effects that produce events (spawn) queue them, so a step
 * always sees the machine left by the previous one.
 */
import { cmdText, defaultProps, type ServiceProps } from "./props.ts";
import { initialMachine, isUp, SIGKILL, step, type Config, type Effect, type Event, type Machine, type TimerKind } from "./machine.ts";
import { toArgv } from "./cmdline.ts";
import type { StatusRecord, DescRecord } from "../../protocol/status.ts";
import type { Clock } from "../os/clock.ts";
import type { Child, SpawnRequest, Spawner } from "../os/spawner.ts";
import { sendSignal } from "../os/spawner.ts";
import type { DaemonLog } from "../logging/types.ts";

/** What a service needs from the daemon around it. */
export type ServiceWorld = {
  spawner: Spawner;
  clock: Clock;
  log: DaemonLog;
  random: () => number;
  /** Build the spawn request (environment, ids, sockets); a string is the reason it cannot. */
  prepare(svc: Service, argv: string[]): SpawnRequest | string;
  /** the service became down (restart, destroy and shutdown wait on it) */
  onDown(svc: Service): void;
};

export class Service {
  props: ServiceProps = defaultProps();
  private m: Machine = initialMachine;
  private timers = new Map<TimerKind, () => void>();
  private queue: Event[] = [];
  private busy = false;
  private child: Child | null = null;
  private groupLeader = false;
  private runningCmd = "";
  private eventPid: number | null = null;
  /** set by `destroy`: forget the service once it is down */
  destroying = false;

  constructor(
    readonly name: string,
    private readonly world: ServiceWorld,
  ) {}

  get state() {
    return this.m.state;
  }
  get pid() {
    return this.m.pid;
  }
  get up() {
    return isUp(this.m.state);
  }

  /** Feed one event; returns the refusal message when the request is refused. */
  dispatch(ev: Event): string | null {
    this.queue.push(ev);
    if (this.busy) return null;
    this.busy = true;
    let refusal: string | null = null;
    try {
      let first = true;
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        const s = step(this.m, e, this.config(), { now: this.world.clock.nowSecs(), random: this.world.random });
        // log lines name the pid the event is about (%S), even an exited one
        this.eventPid = this.m.pid;
        this.m = s.machine;
        for (const eff of s.effects) {
          const r = this.run(eff);
          if (r !== null && first && refusal === null) refusal = r;
          else if (r !== null) this.world.log.event("warn", r);
        }
        first = false;
      }
    } finally {
      this.busy = false;
    }
    return refusal;
  }

  status(): StatusRecord {
    const m = this.m;
    const failed = m.state === "fail" || m.state === "fatal" || m.state === "backoff";
    return {
      name: this.name,
      state: m.state,
      pid: m.pid,
      start_time: m.startTime,
      stop_time: m.stopTime,
      proxy: "",
      fail_reason: failed ? m.failReason : "",
      running_cmd: this.up ? this.runningCmd : "",
    };
  }

  desc(): DescRecord {
    return { name: this.name, tags: this.props.tags, desc: this.props.desc, proxy: "", cmd: cmdText(this.props.cmd) };
  }

  private config(): Config {
    const p = this.props;
    return {
      name: this.name,
      hasCmd: p.cmd !== null,
      startwaitMs: p.startwait_secs * 1000,
      stopwaitMs: p.stopwait_secs * 1000,
      respawnOnFail: p.respawn_on_fail,
      respawnOnStop: p.respawn_on_stop,
      maxRetries: p.respawn_max_retries,
      stopSignal: p.stop_signal,
    };
  }

  /** Carry out one effect; returns a refusal message for `refused`. */
  private run(eff: Effect): string | null {
    switch (eff.kind) {
      case "spawn":
        this.spawn();
        return null;
      case "signal":
        this.signal(eff.signal);
        return null;
      case "kill":
        this.signal(SIGKILL);
        return null;
      case "reapGroup":
        // Whatever the leader left in its group dies with it: no orphans.
        if (this.groupLeader) sendSignal(-eff.pid, SIGKILL);
        this.child = null;
        return null;
      case "arm": {
        this.timers.get(eff.timer)?.();
        const cancel = this.world.clock.after(eff.ms, () => {
          this.timers.delete(eff.timer);
          this.dispatch({ kind: "timer", timer: eff.timer });
        });
        this.timers.set(eff.timer, cancel);
        return null;
      }
      case "cancel":
        this.timers.get(eff.timer)?.();
        this.timers.delete(eff.timer);
        return null;
      case "log":
        this.world.log.event(eff.level, eff.message, this.eventPid);
        return null;
      case "refused":
        return eff.message;
      case "down":
        this.eventPid = null;
        this.runningCmd = "";
        this.world.onDown(this);
        return null;
    }
  }

  private spawn(): void {
    const cmd = this.props.cmd!;
    const req = this.world.prepare(this, toArgv(cmd));
    if (typeof req === "string") {
      this.queue.push({ kind: "spawnFailed", reason: req });
      return;
    }
    let child: Child;
    try {
      child = this.world.spawner(req, (code, signal) => this.dispatch({ kind: "exited", pid: child.pid, code, signal }));
    } catch (e) {
      this.queue.push({ kind: "spawnFailed", reason: osReason(e) });
      return;
    }
    this.child = child;
    this.groupLeader = req.newSession;
    this.runningCmd = cmdText(cmd);
    const pid = child.pid;
    for (const w of child.warnings) this.world.log.event("warn", `${this.name}: ${w}`, pid);
    if (child.stdout) void this.world.log.capture("service", this.name, "out", pid, child.stdout);
    if (child.stderr) void this.world.log.capture("service", this.name, "err", pid, child.stderr);
    this.queue.push({ kind: "spawned", pid });
  }

  private signal(sig: number): void {
    const pid = this.m.pid;
    if (pid === null) return;
    if (!(this.groupLeader && sendSignal(-pid, sig))) sendSignal(pid, sig);
  }
}

/** The OS's words for a failed spawn, without Bun's decorations. */
export function osReason(e: unknown): string {
  const err = e as { code?: string; message?: string; path?: string };
  const m = String(err?.message ?? e);
  return m.replace(/^error:\s*/i, "");
}
