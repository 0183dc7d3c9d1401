/**
 * One supervised service: its properties, its life-cycle machine, and the
 * runner that turns the machine's effects into processes, signals and
 * timers. Events (commands, exits, timer firings) go through `dispatch`,
 * one at a time; events produced while a step runs (spawn) are queued, so a
 * step always sees the machine left by the previous one.
 *
 * Whether cfkd spawns the process or a proxy forks it is the driver's
 * business (driver.ts); the life cycle is the same.
 */
import { cmdText, defaultProps, type ServiceProps } from "./props.ts";
import { alreadyThere, busy, initialMachine, isUp, showsFailReason, step, type Config, type Effect, type Event, type Machine, type TimerKind } from "./machine.ts";
import type { Driver, ProxyLink } from "./driver.ts";
import { directDriver } from "./direct.ts";
import { adoptedDriver, signalAdopted, watchAdopted, type Adoption } from "./adopted.ts";
import { statusToWire, type StatusRecord, type DescRecord, type InfoRecord, type ServiceState } from "../../protocol/status.ts";
import { usage, usageOf } from "../os/procfs.ts";
import type { Clock } from "../os/clock.ts";
import type { SpawnRequest, Spawner } from "../os/spawner.ts";
import { SIGKILL, type Signals } from "../os/signals.ts";
import type { DaemonLog } from "../logging/types.ts";
import { Readiness } from "../ready/readiness.ts";
import type { NotifyHub } from "../ready/notify.ts";
import { isProbe, probeText, readyText } from "../ready/spec.ts";
import type { Trees } from "../os/trees.ts";

/** A transition as the service reports it (changes.ts adds the time and the name). */
export type StateChange = { from: ServiceState; to: ServiceState; pid: number | null; reason: string };

/** What a service needs from the daemon around it. */
export type ServiceWorld = {
  spawner: Spawner;
  signals: Signals;
  clock: Clock;
  log: DaemonLog;
  random: () => number;
  /** Build the spawn request (environment, ids, sockets); a string is the reason it cannot. */
  prepare(svc: Service, argv: string[]): SpawnRequest | string;
  /** the service became down (restart, destroy and shutdown wait on it) */
  onDown(svc: Service): void;
  /** the service was destroyed and is down: drop it from the registry */
  onForget(svc: Service): void;
  /** the machine's state changed; see changes.ts */
  onChange(svc: Service, change: StateChange): void;
  /** the dependencies (`after`) that are not running yet, as "db, cache", or null */
  waitingFor?(svc: Service): string | null;
  /** notify sockets (`ready=notify`); absent: not available */
  notify?: NotifyHub;
  /** each service's whole process tree (cgroup or process group); absent: the leader alone, as in 1.0 */
  trees?: Trees;
};

/** After SIGKILL, how long the rest of a tree may take to be gone before it is reported leaked. */
const DRAIN_AFTER_KILL_MS = 3000;
/** How a process was started: its driver, its proxy, whether it leads its own group, whether it was adopted. */
type Running = { driver: Driver; link: ProxyLink | null; groupLeader: boolean; adopted?: Adoption };

export class Service {
  props: ServiceProps = defaultProps();
  private m: Machine = initialMachine;
  private timers = new Map<TimerKind, () => void>();
  private queue: Event[] = [];
  private busy = false;
  /** how the current process was started; null when there is none */
  private current: Running | null = null;
  /** a reload's older generation while it is alive (machine.ts `older`) */
  private aside: (Running & { cmd: string }) | null = null;
  /** set by adopt() for the `watch` effect it leads to */
  private adopting: (Adoption & { cmd: string }) | null = null;
  private unwatch: (() => void) | null = null;
  private readonly direct: Driver;
  private runningCmd = "";
  private eventPid: number | null = null;
  /** the proxy this service is declared under (`proxy NAME service SVC ...`) */
  proxy: ProxyLink | null = null;
  /** ready protocol, probes, health checks (docs/readiness.md) */
  readonly readiness: Readiness;
  /** the leader exited and the rest of its tree is being ended (its pid, reaped already) */
  private draining: number | null = null;
  /** processes of the last run that outlived SIGKILL (status: `leaked N pids`) */
  leaked = 0;
  /** times cfkd had to SIGKILL this service (a shutdown's exit code counts them) */
  kills = 0;

  constructor(
    readonly name: string,
    private readonly world: ServiceWorld,
  ) {
    this.direct = directDriver(world);
    this.readiness = new Readiness(this, world);
  }

  /** `starting`, but held until its dependencies run */
  get held(): boolean {
    return this.m.held === true;
  }

  /** Uses readiness, health or dependencies: status and desc say more (docs/readiness.md). */
  get extended(): boolean {
    const p = this.props;
    return p.ready.kind !== "startwait" || p.health !== null || p.after.length > 0 || this.readiness.statusText !== "";
  }

  /** how the last process ended, kept across restarts (metrics; an essential service passes it on) */
  get lastExit(): { code: number | null; signal: number | null } | null {
    const l = this.m.lastExit;
    return l === null ? null : { code: l.code, signal: l.signal };
  }

  get state() {
    return this.m.state;
  }
  get pid() {
    return this.m.pid;
  }
  get up() {
    return isUp(this.m.state);
  }
  /** up, about to retry, or an older generation still alive (machine.ts `busy`) */
  get active() {
    return busy(this.m);
  }
  /** `up`/`down` would skip this service (machine.ts `alreadyThere`) */
  alreadyThere(want: "up" | "down"): boolean {
    return alreadyThere(want, this.m);
  }
  /** a reload's older generation: its pid, and whether it was sent its stop signal; null when none */
  get older() {
    return this.m.older ?? null;
  }
  /** why the last reload kept the older generation ("" when it did not) */
  get reloadFailed(): string {
    return this.m.reloadFailed ?? "";
  }
  /** the proxy of the current process, else the declared one */
  get link(): ProxyLink | null {
    return this.current ? this.current.link : this.proxy;
  }
  /** the proxy the current process runs under (null: none, or direct) */
  get runningUnder(): ProxyLink | null {
    return this.current?.link ?? null;
  }

  /**
   * [ext] Take over a process a crashed cfkd left running (survival.ts has
   * checked its pid and start time). False when the service is busy.
   */
  adopt(pid: number, a: Adoption, startTime: number, cmd: string): boolean {
    this.adopting = { ...a, cmd };
    this.dispatch({ kind: "adopt", pid, startTime });
    this.adopting = null;
    return this.m.pid === pid;
  }

  /** The current process as the state file records it (direct or adopted only: a proxy's are its own). */
  get process(): { pid: number; groupLeader: boolean; adopted: Adoption | null } | null {
    const a = this.current;
    if (a === null || a.link !== null || this.m.pid === null) return null;
    return { pid: this.m.pid, groupLeader: a.groupLeader, adopted: a.adopted ?? null };
  }

  /** A reload's old generation while it lives, as the state file records it. */
  get olderProcess(): { pid: number; groupLeader: boolean } | null {
    const o = this.m.older ?? null;
    return o === null || this.aside === null ? null : { pid: o.pid, groupLeader: this.aside.groupLeader };
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
        const s = step(this.m, e, this.config(), { now: this.world.clock.nowSecs(), nowMs: this.world.clock.nowMs(), random: this.world.random });
        // log lines name the pid the event is about (%S), even an exited one
        this.eventPid = this.m.pid;
        const before = this.m;
        this.m = s.machine;
        this.reportChanges(before, s.via, s.machine);
        if (before.state !== this.m.state) this.readiness.stateChanged(this.m.state);
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

  /**
   * One change per state entered, intermediate ones included. The pid is the
   * process the change is about: the one that ended for a change to a down
   * state. The reason is the fail reason when the new state is a failure.
   */
  private reportChanges(before: Machine, via: Machine[] | undefined, after: Machine): void {
    let prev = before;
    let reported = false;
    for (const m of via ? [...via, after] : [after]) {
      if (m.state !== prev.state) {
        // a reload that fell back to its old generation says why on the way back to running
        const reason = m.state === "fail" || m.state === "fatal" || m.state === "backoff" ? m.failReason : m.state === "running" ? (m.reloadFailed ?? "") : "";
        this.world.onChange(this, { from: prev.state, to: m.state, pid: m.pid ?? prev.pid, reason });
        reported = true;
      }
      prev = m;
    }
    // a reload's old generation came or went without a change of state: one change, from = to
    if (!reported && (before.older?.pid ?? null) !== (after.older?.pid ?? null)) {
      this.world.onChange(this, { from: after.state, to: after.state, pid: after.pid, reason: "" });
    }
  }

  /** status's fail_reason: why it failed (fail, fatal, backoff), and what leaked */
  get failReason(): string {
    return withLeak(showsFailReason(this.m.state) ? this.m.failReason : "", this.leaked);
  }

  /** The state, with the fail reason when there is one: `fatal: Exited with error 1`. */
  get stateText(): string {
    const why = this.failReason;
    return why ? `${this.m.state}: ${why}` : this.m.state;
  }

  status(): StatusRecord {
    const m = this.m;
    const r: StatusRecord = {
      name: this.name,
      state: m.state,
      pid: m.pid,
      start_time: m.startTime,
      stop_time: m.stopTime,
      proxy: this.proxyText(),
      fail_reason: this.failReason,
      running_cmd: this.up ? this.runningCmd : "",
    };
    if (m.older) r.old_pid = m.older.pid;
    if (!this.extended) return r;
    const f = this.readiness.facts(m.held ? (this.world.waitingFor?.(this) ?? "dependencies") : null);
    return { ...r, ready: m.state === "running", waiting: f.waiting, probe: f.probe, status_text: f.status };
  }

  /**
   * The wire form of status(), kept until one of its inputs changes: the
   * machine (a new object at every transition), the running command, the
   * proxy's label. Monitoring polls `command status` far more often than
   * services change.
   */
  statusLine(): string {
    const proxy = this.proxyText();
    const w = this.wire;
    // readiness facts (probe results, STATUS=) change without a transition
    if (w !== null && w.m === this.m && w.proxy === proxy && w.cmd === this.runningCmd && w.leaked === this.leaked && !this.extended) return w.line;
    const line = statusToWire(this.status());
    this.wire = { m: this.m, proxy, cmd: this.runningCmd, leaked: this.leaked, line };
    return line;
  }

  private wire: { m: Machine; proxy: string; cmd: string; leaked: number; line: string } | null = null;

  /**
   * The process cfkd started has exited. With trees, the rest of its tree
   * goes first and the machine learns of the exit only once the tree is
   * empty, so `stopped` (or `fail`) means every process is gone:
   * - during a stop, what is left gets the stop signal too and has until
   *   the stopwait timer's SIGKILL (the machine's, still armed) to leave;
   * - otherwise (it died on its own) what is left is SIGKILLed at once, as
   *   1.0 did to the leader's process group.
   * What outlives SIGKILL by DRAIN_AFTER_KILL_MS is reported, not waited on.
   * While draining, the leader's pid is reaped and may be reused: signals
   * go to the tree, never to that pid (see run()).
   */
  leaderExited(pid: number, code: number | null, signal: number | null): void {
    const trees = this.world.trees;
    const exited = () => {
      this.draining = null;
      this.dispatch({ kind: "exited", pid, code, signal });
    };
    if (!trees || this.m.pid !== pid || !this.up) return exited();
    if (this.m.older) {
      // a reload's other generation lives in the same tree (the service's cgroup): only the
      // dead leader's own process group goes, as in 1.0, never the tree
      if (this.current?.groupLeader) this.world.signals.send(-pid, SIGKILL);
      return exited();
    }
    if (trees.members(this.name, pid).length === 0) return exited();
    this.draining = pid;
    const stopping = this.m.state === "stopping" && !this.m.killed;
    if (stopping) trees.signal(this.name, pid, this.props.stop_signal);
    else trees.kill(this.name, pid);
    const first = stopping ? this.props.stopwait_secs * 1000 + DRAIN_AFTER_KILL_MS : DRAIN_AFTER_KILL_MS;
    void trees.waitEmpty(this.name, pid, first).then((empty) => {
      if (!empty) {
        const left = trees.members(this.name, pid);
        this.leaked = left.length;
        if (left.length > 0) {
          this.world.log.event("error", `${this.name}: leaked ${left.length} pids that outlived SIGKILL: ${left.join(" ")}`, pid);
        }
      }
      exited();
    });
  }

  /** [ext] What the status line cannot carry (`command info`); `long` adds the costly facts. */
  info(long: boolean): InfoRecord {
    const m = this.m;
    const up = isUp(m.state) && m.startTime !== null;
    const r: InfoRecord = { name: this.name, restarts: m.restarts, uptime: up ? Math.max(0, this.world.clock.nowSecs() - m.startTime!) : null };
    if (this.current?.adopted) r.adopted = true;
    if (m.lastFailure !== null) {
      r.last_failure = m.lastFailure.reason;
      r.last_failure_at = m.lastFailure.at;
    }
    // the crash loop (docs/daemon.md "Crash loops"); times in epoch seconds, with ms
    r.consecutive_failures = m.failures;
    r.next_attempt_at = m.retryAt === null ? null : m.retryAt / 1000;
    r.attempt = m.retryAt !== null && m.attempt > 0 ? m.attempt : null;
    r.max_attempts = m.retryAt !== null && m.attemptOf > 0 ? m.attemptOf : null;
    r.last_exit = m.lastExit === null ? null : { code: m.lastExit.code, signal: m.lastExit.signal, at: m.lastExit.at / 1000 };
    if (!long) return r;
    r.cmd = cmdText(this.props.cmd);
    r.tags = this.props.tags;
    const u = m.pid === null || !this.current ? null : this.treeUsage(m.pid) ?? usage(m.pid, this.current.groupLeader);
    if (u !== null) {
      r.processes = u.processes;
      r.rss_kib = u.rssKib;
      r.cpu_secs = u.cpuSecs;
    }
    return r;
  }

  /**
   * With trees (docs/container.md), `info -l` counts the whole tree: daemons
   * that left the session are in it too.
   */
  private treeUsage(pid: number): ReturnType<typeof usage> {
    const trees = this.world.trees;
    if (!trees || this.runningUnder !== null || this.current?.adopted) return null;
    return usageOf(trees.members(this.name, pid));
  }

  /**
   * CPU time (µs, cumulative over every process the cgroup ever held: a
   * counter) and memory (bytes, when the memory controller is on) of the
   * service's cgroup; null when unknown. For a metrics page.
   */
  usage(): { cpuUsec: number | null; memoryBytes: number | null } | null {
    return this.world.trees?.usage(this.name) ?? null;
  }

  desc(): DescRecord {
    const d: DescRecord = { name: this.name, tags: this.props.tags, desc: this.props.desc, proxy: this.proxyText(), cmd: cmdText(this.props.cmd) };
    const p = this.props;
    if (!this.extended) return d;
    const settings: Record<string, string> = {};
    if (p.ready.kind !== "startwait") {
      settings.ready = readyText(p.ready);
      if (p.ready_timeout_secs !== null) settings.ready_timeout_secs = String(p.ready_timeout_secs);
      if (isProbe(p.ready)) settings.ready_interval_secs = String(p.ready_interval_secs);
    }
    if (p.health) {
      settings.health = probeText(p.health);
      settings.health_interval_secs = String(p.health_interval_secs);
      settings.health_failures = String(p.health_failures);
    }
    if (p.after.length > 0) settings.after = p.after.join(",");
    if (this.readiness.statusText) settings.status = this.readiness.statusText;
    return { ...d, settings };
  }

  /** The proxy's name, with `!` when it is down (SPEC §3.5). */
  private proxyText(): string {
    const p = this.link;
    return p === null ? "" : p.pid === null ? `${p.name}!` : p.name;
  }

  private config(): Config {
    const p = this.props;
    return {
      name: this.name,
      hasCmd: p.cmd !== null,
      startwaitMs: p.startwait_secs * 1000,
      stopwaitMs: p.stopwait_secs * 1000,
      // an essential service's end ends cfkd (container.ts): no respawn
      respawnOnFail: p.respawn_on_fail && !p.essential,
      respawnOnStop: p.respawn_on_stop && !p.essential,
      maxRetries: p.respawn_max_retries,
      stopSignal: p.stop_signal,
      blocked: this.proxy?.blocked(this.name) ?? null,
      respawnDelayMaxMs: p.respawn_delay_max * 1000,
      stableMs: p.stable_secs * 1000,
      maxRestarts: p.max_restarts,
      restartWindowMs: p.restart_window_secs * 1000,
      fatalRetryMs: p.fatal_retry_secs * 1000,
      ready: p.ready.kind !== "startwait",
      readyTimeoutMs: p.ready_timeout_secs === null ? null : p.ready_timeout_secs * 1000,
      waitingFor: p.after.length > 0 ? (this.world.waitingFor?.(this) ?? null) : null,
      // both generations accept on the socket cfkd holds; a proxy runs one process per service;
      // a process adopted after a crash of cfkd is not our child (its end comes from a watcher)
      overlap: this.proxy === null && !this.current?.adopted && (p.tie_stdin_to !== null || p.listen_fds.length > 0),
    };
  }

  /** Carry out one effect; returns a refusal message for `refused`. */
  private run(eff: Effect): string | null {
    switch (eff.kind) {
      case "spawn":
        this.spawn();
        return null;
      case "signal":
        if (this.draining !== null) this.world.trees?.signal(this.name, this.draining, eff.signal);
        else this.current?.driver.stop(this, this.m.pid, eff.signal, this.current.groupLeader);
        return null;
      case "kill":
        this.kills++;
        // cfkd's own SIGKILL, proxied or not: the proxy's stop was not enough
        if (this.current?.adopted && this.m.pid !== null) {
          if (!signalAdopted(this.m.pid, this.current.adopted, SIGKILL, this.world.signals)) this.queue.push({ kind: "vanished", pid: this.m.pid });
        } else if (this.m.pid !== null) {
          // while draining, the leader's pid is reaped (maybe reused): only the tree is signalled
          if (this.draining === null && this.current) this.world.signals.process(this.m.pid, SIGKILL, this.current.groupLeader);
          // (not the tree while a reload's other generation shares it: the process group did it)
          if (this.runningUnder === null && !this.m.older) this.world.trees?.kill(this.name, this.draining ?? this.m.pid);
        }
        return null;
      case "reapGroup":
        // Whatever the leader left in its group dies with it: no orphans.
        // (Not for an adopted one: its leader is gone, the group id is no proof. Not for a
        // direct one with trees: its whole tree is gone already, and the group id may be free.)
        if (this.current?.groupLeader && !this.current.adopted && !(this.world.trees && this.runningUnder === null)) this.world.signals.send(-eff.pid, SIGKILL);
        return null;
      case "watch": {
        const a = this.adopting;
        if (a === null) return null; // only adopt() leads here
        const adoption: Adoption = { ticks: a.ticks, groupLeader: a.groupLeader };
        this.current = { driver: adoptedDriver(adoption, this.world.signals), link: null, groupLeader: a.groupLeader, adopted: adoption };
        this.runningCmd = a.cmd;
        this.unwatch = watchAdopted(this, eff.pid, adoption, this.world.clock);
        return null;
      }
      case "killOrphan":
        if (this.current) this.world.signals.process(eff.pid, SIGKILL, this.current.groupLeader);
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
        this.unwatch?.();
        this.unwatch = null;
        this.eventPid = null;
        this.runningCmd = "";
        this.current = null;
        this.world.onDown(this);
        return null;
      case "forget":
        this.world.onForget(this);
        return null;
      case "setAside":
        this.aside = this.current && { ...this.current, cmd: this.runningCmd };
        this.current = null;
        return null;
      case "reinstate":
        this.current = this.aside;
        this.runningCmd = this.aside?.cmd ?? "";
        this.aside = null;
        return null;
      case "swap": {
        const [cur, old] = [this.current, this.aside];
        this.current = old;
        this.aside = cur && { ...cur, cmd: this.runningCmd };
        this.runningCmd = old?.cmd ?? "";
        return null;
      }
      case "signalOlder":
        if (this.aside && this.m.older) this.aside.driver.stop(this, this.m.older.pid, eff.signal, this.aside.groupLeader);
        return null;
      case "killOlder":
        if (this.aside && this.m.older) this.world.signals.process(this.m.older.pid, SIGKILL, this.aside.groupLeader);
        return null;
      case "reapOlder":
        if (this.aside?.groupLeader) this.world.signals.send(-eff.pid, SIGKILL);
        this.aside = null;
        return null;
    }
  }

  private spawn(): void {
    this.leaked = 0;
    const driver: Driver = this.proxy ?? this.direct;
    const kind = this.props.ready.kind;
    const r = this.proxy && (kind === "fd" || kind === "notify" || kind === "log") ? `ready=${kind} is not available to a service run by a proxy` : driver.start(this);
    if (typeof r === "string") {
      this.queue.push({ kind: "spawnFailed", reason: r });
      return;
    }
    this.current = { driver, link: this.proxy, groupLeader: r.groupLeader };
    this.runningCmd = cmdText(this.props.cmd);
    this.readiness.launched();
  }
}

/** The fail reason with the leak note (the wire keeps its 8 fields). */
function withLeak(reason: string, leaked: number): string {
  if (leaked === 0) return reason;
  const note = `leaked ${leaked} pids`;
  return reason === "" ? note : `${reason}; ${note}`;
}
