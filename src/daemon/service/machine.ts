/**
 * The service life cycle (SPEC §4) as one pure transition function:
 * `step(machine, event, config, world) → { machine, effects }`.
 * Effects are data; the runner (service.ts) carries them out and feeds the
 * results back as events. Nothing here touches a process, a timer or a clock.
 *
 * "Want" and "is" are kept apart (runit): `wantDown` records that the daemon
 * itself asked for the stop, `pendingStart` that a restart waits for the
 * service to be down, `wantGone` that the operator destroyed it (it is
 * forgotten once down). The states are what the process is doing.
 *
 * Reload (docs/prefork.md) adds one more fact, `older`: the previous
 * generation's process, alive beside the current one. The current process
 * goes through the usual starting → running; `reconcileOlder` (one place,
 * after every transition) decides what becomes of the older one: stopped
 * gracefully once the new one runs, or the service's process again when the
 * new one fails.
 */
import type { ServiceState } from "../../protocol/status.ts";
import { msg } from "../../protocol/messages.ts";
import { SIGTERM } from "../os/signals.ts";

/**
 * `backoff` also times the retry of a `fatal` service (fatal_retry_secs);
 * `stable` fires when a run has lasted stable_secs; `retire` is a reload's
 * old generation's stopwait.
 */
export type TimerKind = "startwait" | "stopwait" | "backoff" | "stable" | "ready" | "retire";

/** How the process ended last (`last_exit` in `command info`). */
export type LastExit = { readonly code: number | null; readonly signal: number | null; readonly at: number };

/** A reload's older generation: the process that served before the current one. */
export type Older = {
  readonly pid: number;
  readonly startTime: number | null;
  /** false: it still serves while the new generation starts; true: it was sent its stop signal */
  readonly retiring: boolean;
};

export type Machine = {
  readonly state: ServiceState;
  readonly pid: number | null;
  /** epoch seconds of the last start, null once stopped */
  readonly startTime: number | null;
  /** epoch seconds of the last stop or exit */
  readonly stopTime: number | null;
  readonly failReason: string;
  /** failed starts in a row (SPEC §4 backoff / fatal) */
  readonly failedStarts: number;
  /** the daemon asked for this stop: no respawn, any death is final */
  readonly wantDown: boolean;
  /** SIGKILL was sent after stopwait_secs */
  readonly killed: boolean;
  /** restart: start as soon as the service is down */
  readonly pendingStart: boolean;
  /**
   * startwait_secs elapsed before the pid was known (a proxy reports it
   * later): the wait starts again from the pid's arrival.
   */
  readonly startwaitElapsed: boolean;
  /** start this service when its proxy is up again (SPEC §7, docs/proxy.md) */
  readonly resume: boolean;
  /** `destroy`: forget the service as soon as it is down (a new declaration takes it back) */
  readonly wantGone: boolean;
  /** starts cfkd made on its own (respawns, backoff retries) since the service was declared */
  readonly restarts: number;
  /** the last abnormal end and when (epoch secs); kept after the next start, unlike failReason */
  readonly lastFailure: { readonly reason: string; readonly at: number } | null;
  /** failures in a row since the last stable run or operator start (crash-loop policy) */
  readonly failures: number;
  /** epoch ms of the automatic restarts after a crash, within restart_window_secs */
  readonly recentRestarts: readonly number[];
  /** epoch ms of the next automatic attempt (backoff, or a fatal retry), else null */
  readonly retryAt: number | null;
  /** which attempt the next one is, and of how many (0: no limit); shown with retryAt */
  readonly attempt: number;
  readonly attemptOf: number;
  readonly lastExit: LastExit | null;
  /** `starting`, but nothing spawned yet: its dependencies are not running (docs/readiness.md) */
  readonly held?: boolean;
  /**
   * cfkd is stopping this process because it failed (not ready in time, a
   * health check, a missed watchdog): its end is a failure with this reason,
   * counted as a failed start when it never became ready.
   */
  readonly failing?: { readonly reason: string; readonly start: boolean } | null;
  /** reload: the previous generation, still alive beside the current process (absent: none) */
  readonly older?: Older | null;
  /** why the last reload fell back to the older generation ("" or absent: it did not) */
  readonly reloadFailed?: string;
};

export type Config = {
  readonly name: string;
  readonly hasCmd: boolean;
  readonly startwaitMs: number;
  readonly stopwaitMs: number;
  readonly respawnOnFail: boolean;
  readonly respawnOnStop: boolean;
  readonly maxRetries: number;
  readonly stopSignal: number;
  /** why the service cannot start now (its proxy is down and not auto), or null */
  readonly blocked: string | null;
  /** crash-loop policy (docs/daemon.md "Crash loops") */
  readonly respawnDelayMaxMs: number;
  readonly stableMs: number;
  /** 0: no bound */
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  /** 0: a fatal service stays fatal */
  readonly fatalRetryMs: number;
  /** `running` needs a ready signal (event `ready`), not startwait_secs */
  readonly ready?: boolean;
  /** ready_timeout_secs; null or absent: wait forever */
  readonly readyTimeoutMs?: number | null;
  /** the dependencies it waits for ("db, cache"), or null when all are running */
  readonly waitingFor?: string | null;
  /**
   * reload may overlap generations: the service accepts on a shared socket
   * cfkd holds, and cfkd spawns it itself (absent: no; reload is a restart)
   */
  readonly overlap?: boolean;
};

export type Event =
  | { kind: "start" }
  | { kind: "stop" }
  | { kind: "restart" }
  | { kind: "spawned"; pid: number }
  | { kind: "spawnFailed"; reason: string }
  | { kind: "exited"; pid: number; code: number | null; signal: number | null }
  | { kind: "timer"; timer: TimerKind }
  /**
   * The service's proxy went away: the process lost its supervisor.
   * `alive`: it may still be running (the proxy died before reporting it).
   */
  | { kind: "lost"; reason: string; alive: boolean }
  /** the service's proxy is up (again) */
  | { kind: "resume" }
  /** `destroy`: stop if active, and forget the service once it is down */
  | { kind: "destroy" }
  /** the service was declared again: a pending destroy is called off */
  | { kind: "keep" }
  /**
   * [ext] A process of this service that a crashed cfkd left running, found
   * alive (same pid and start time): it is this service's process now.
   */
  | { kind: "adopt"; pid: number; startTime: number }
  /** an adopted process is gone; no exit status is known (it is not our child) */
  | { kind: "vanished"; pid: number }
  /** the service said it is ready (or its ready probe passed) */
  | { kind: "ready" }
  /** a health check or the watchdog failed: restart it with this reason */
  | { kind: "unhealthy"; reason: string }
  /** every dependency of a held service is running now */
  | { kind: "depsReady" }
  /** a dependency of a held service failed: so does its start */
  | { kind: "depFailed"; reason: string }
  /** start a new generation beside the running one (a restart when it cannot overlap) */
  | { kind: "reload" }
  /** give up a reload whose new generation is not running in time: the older one serves on, the new one is stopped */
  | { kind: "abandonReload"; reason: string };

export type Effect =
  | { kind: "spawn" }
  /** send the stop signal (to the group unless no_new_session) */
  | { kind: "signal"; signal: number }
  /** SIGKILL to the whole process group */
  | { kind: "kill" }
  /** the leader is gone: SIGKILL whatever is left of its group */
  | { kind: "reapGroup"; pid: number }
  /** a process whose proxy died: SIGKILL it (its group unless no_new_session) */
  | { kind: "killOrphan"; pid: number }
  | { kind: "arm"; timer: TimerKind; ms: number }
  | { kind: "cancel"; timer: TimerKind }
  | { kind: "log"; level: "info" | "warn" | "error"; message: string }
  /** the request was refused; the message goes back to the client */
  | { kind: "refused"; message: string }
  /** the service just became down (destroy, restart, shutdown wait on this) */
  | { kind: "down" }
  /** drop the service from the registry (destroyed, and now down) */
  | { kind: "forget" }
  /** watch an adopted process until it is gone (it is not our child: no exit event) */
  | { kind: "watch"; pid: number }
  /** reload: the current process becomes the older generation (its handle is kept aside) */
  | { kind: "setAside" }
  /** a failed reload: the older generation is the service's process again */
  | { kind: "reinstate" }
  /** an abandoned reload: the current and the older generation trade places */
  | { kind: "swap" }
  /** send the older generation its stop signal (to its group unless no_new_session) */
  | { kind: "signalOlder"; signal: number }
  /** SIGKILL the older generation (its group) */
  | { kind: "killOlder" }
  /** the older generation is gone: SIGKILL what is left of its group, drop its handle */
  | { kind: "reapOlder"; pid: number };

/** What the world contributes to a step: the time (epoch seconds, and ms) and a random source. */
export type World = { readonly now: number; readonly nowMs: number; readonly random: () => number };

/**
 * `via`: the machines a chained step passed through on its way (a crash
 * that respawns goes running → fail → starting), so that every state
 * change is reported, not only the last.
 */
export type Step = { machine: Machine; effects: Effect[]; via?: Machine[] };

const BACKOFF_UNIT_MS = 300;

/** The per-run wants and flags a new run (or a reload's fall-back) starts from. */
const FRESH_RUN = { wantDown: false, killed: false, pendingStart: false, startwaitElapsed: false, resume: false } as const;

export const initialMachine: Machine = {
  state: "stopped",
  pid: null,
  startTime: null,
  stopTime: null,
  failReason: "",
  failedStarts: 0,
  ...FRESH_RUN,
  wantGone: false,
  restarts: 0,
  lastFailure: null,
  failures: 0,
  recentRestarts: [],
  retryAt: null,
  attempt: 0,
  attemptOf: 0,
  lastExit: null,
  older: null,
  reloadFailed: "",
};

/** up = starting, running, stopping (SPEC §4) */
export function isUp(state: ServiceState): boolean {
  return state === "starting" || state === "running" || state === "stopping";
}

/**
 * Active = up, or an automatic attempt is armed (backoff, or fatal with
 * fatal_retry_secs): what `down`, `destroy`, shutdown and an auto proxy's
 * idleness count as "still has a process or will have one".
 */
export function isActive(m: Pick<Machine, "state" | "retryAt">): boolean {
  return isUp(m.state) || m.state === "backoff" || m.retryAt !== null;
}

/** fail, fatal and backoff show why (status's fail_reason); other states show "". */
export function showsFailReason(state: ServiceState): boolean {
  return state === "fail" || state === "fatal" || state === "backoff";
}

/**
 * `up`/`down` (unlike start/stop) skip, silently and uncounted, a service
 * that is already where it is asked to be.
 */
export function alreadyThere(want: "up" | "down", m: Pick<Machine, "state" | "retryAt">): boolean {
  return want === "up" ? isUp(m.state) : !isActive(m);
}

/** The reason text for an abnormal end, as the original words it. */
export function exitReason(code: number | null, signal: number | null): string {
  if (signal !== null) return `Received signal ${signal}`;
  if (code === null) return "Exit status unknown"; // a proxy that did not say
  return code ? `Exited with error ${code}` : "Exited successfully";
}

/** Has a process, or will have one: active, or an older generation still alive. */
export function busy(m: Machine): boolean {
  return isActive(m) || (m.older ?? null) !== null;
}

/**
 * The whole life cycle: one screen of transitions (or an event about the
 * older generation), then the older generation and the destroy want
 * reconciled.
 */
export function step(m: Machine, ev: Event, cfg: Config, w: World): Step {
  const s = reconcileOlder(olderEvent(m, ev, cfg, w) ?? transition(m, ev, cfg, w), cfg);
  return s.machine.wantGone ? reconcileGone(s) : s;
}

/**
 * A service that is wanted gone is forgotten when it becomes down (just
 * before the `down` effect, so the registry has dropped it when the
 * down-waiters run), unless something started it again meanwhile.
 */
function reconcileGone(s: Step): Step {
  if (busy(s.machine)) return s;
  const i = s.effects.findIndex((e) => e.kind === "down");
  if (i < 0) return s;
  return { machine: s.machine, effects: [...s.effects.slice(0, i), { kind: "forget" }, ...s.effects.slice(i)] };
}

function transition(m: Machine, ev: Event, cfg: Config, w: World): Step {
  switch (ev.kind) {
    case "start":
      if (isUp(m.state)) return refuse(m, msg.alreadyUp(cfg.name));
      if (cfg.hasCmd && cfg.blocked !== null) return refuse(m, cfg.blocked);
      return start(m, cfg, w, m.state === "backoff" ? "retry" : "fresh");
    case "stop":
      if (m.held) return settle({ ...m, resume: false }, "stopped", w, [{ kind: "log", level: "info", message: `${cfg.name} stopped before its dependencies were up` }], true);
      if (m.state === "stopping" && m.failing) return { machine: { ...m, wantDown: true }, effects: [] };
      // a pending retry (backoff, or fatal with fatal_retry_secs) is what stop cancels
      if (m.state === "backoff" || m.retryAt !== null) return settle({ ...m, stopTime: null, resume: false }, "stopped", w, [cancel("backoff")], true);
      if (m.state === "stopping") return { machine: m, effects: [] };
      // a service waiting for its proxy stays down when the proxy comes back
      if (!isUp(m.state)) return refuse({ ...m, resume: false }, msg.alreadyDown(cfg.name));
      return stop(m, cfg, w);
    case "restart":
      if (!cfg.hasCmd) return refuse(m, msg.noCommand(cfg.name));
      if (m.state === "stopping") return { machine: { ...m, pendingStart: true }, effects: [] };
      if (m.held) return { machine: m, effects: [] }; // not started yet: nothing to restart
      if (isUp(m.state)) {
        const s = stop(m, cfg, w);
        return { machine: { ...s.machine, pendingStart: true }, effects: s.effects };
      }
      if (cfg.blocked !== null) return refuse(m, cfg.blocked);
      return start(m, cfg, w, "fresh");
    case "spawned":
      return spawned(m, cfg, ev.pid);
    case "spawnFailed":
      if (m.pid !== null) return { machine: m, effects: [] };
      if (m.state === "stopping") {
        // stopped before its proxy started it: the stop is done
        const log: Effect = { kind: "log", level: "info", message: `${cfg.name} stopped before it started (${ev.reason})` };
        return afterDown(m, cfg, w, settle(m, "stopped", w, [cancel("stopwait"), log], false));
      }
      if (m.state !== "starting") return { machine: m, effects: [] };
      return afterDown(m, cfg, w, failed(m, cfg, w, ev.reason, [
        ...cancelStart(cfg),
        { kind: "log", level: "error", message: `cannot start ${cfg.name}: ${ev.reason}` },
      ]));
    case "exited":
      if (ev.pid !== m.pid || !isUp(m.state)) return { machine: m, effects: [] };
      return afterDown(m, cfg, w, exited(m, cfg, w, ev.code, ev.signal));
    case "timer":
      return timer(m, cfg, w, ev.timer);
    case "lost":
      return lost(m, cfg, w, ev.reason, ev.alive);
    case "destroy": {
      const gone = { ...m, wantGone: true };
      if (!isActive(m)) return { machine: gone, effects: busy(m) ? [] : [{ kind: "forget" }] };
      // a failing service that cfkd is stopping must not be started again
      if (m.state === "stopping") return { machine: m.failing ? { ...gone, wantDown: true } : gone, effects: [] };
      return transition(gone, { kind: "stop" }, cfg, w);
    }
    case "keep":
      return { machine: m.wantGone ? { ...m, wantGone: false } : m, effects: [] };
    case "adopt":
      if (isActive(m)) return { machine: m, effects: [] };
      return {
        machine: { ...initialMachine, restarts: m.restarts, lastFailure: m.lastFailure, state: "running", pid: ev.pid, startTime: ev.startTime },
        effects: [{ kind: "log", level: "info", message: `adopted ${cfg.name} (pid ${ev.pid}), left running by a cfkd that died` }, { kind: "watch", pid: ev.pid }],
      };
    case "vanished":
      if (ev.pid !== m.pid || !isUp(m.state)) return { machine: m, effects: [] };
      if (m.wantDown) {
        const log: Effect = { kind: "log", level: "info", message: `adopted ${cfg.name} is gone` };
        return afterDown(m, cfg, w, settle(m, "stopped", w, [cancel("startwait"), cancel("stopwait"), log], false));
      }
      // its exit status cannot be known: a failure, respawned as any other
      return afterDown(m, cfg, w, exited(m, cfg, w, null, null));
    case "reload":
      return reload(m, cfg, w);
    case "abandonReload":
      return { machine: m, effects: [] }; // no reload under way (olderEvent handles one)
    case "resume": {
      if (!m.resume || isUp(m.state)) return { machine: m, effects: [] };
      return autoStart(m, cfg, w, m.state === "backoff" ? "retry" : "respawn", `resuming ${cfg.name}: its proxy is up`);
    }
    case "ready":
      if (m.state !== "starting" || m.held || !cfg.ready) return { machine: m, effects: [] };
      return {
        machine: { ...m, state: "running", failedStarts: 0 },
        effects: [cancel("ready"), { kind: "log", level: "info", message: `${cfg.name} is ready (pid ${m.pid ?? "unknown"})` }, armStable(cfg)],
      };
    case "unhealthy":
      if (m.state !== "running") return { machine: m, effects: [] };
      return failing(m, cfg, w, ev.reason, false);
    case "depsReady":
      if (!m.held || m.state !== "starting") return { machine: m, effects: [] };
      return launch({ ...m, held: false, startTime: w.now }, cfg, [{ kind: "log", level: "info", message: `${cfg.name}: its dependencies are running` }]);
    case "depFailed": {
      if (!m.held || m.state !== "starting") return { machine: m, effects: [] };
      const log: Effect = { kind: "log", level: "error", message: `cannot start ${cfg.name}: ${ev.reason}` };
      return settle({ ...m, failReason: ev.reason }, "fail", w, [log], false);
    }
  }
}

/**
 * cfkd stops a process that failed (ready timeout, health, watchdog): the
 * stop signal, then SIGKILL after stopwait_secs; its exit is then a failure
 * with `reason` (see `exited`), so respawn and backoff apply as to a crash.
 */
function failing(m: Machine, cfg: Config, w: World, reason: string, start: boolean): Step {
  const s = stop(m, cfg, w);
  s.effects.unshift({ kind: "log", level: "error", message: `${cfg.name}: ${reason}` });
  return { machine: { ...s.machine, wantDown: false, failing: { reason, start } }, effects: s.effects };
}

/**
 * The pid is known. A proxy may report it after startwait_secs elapsed:
 * then the wait starts again, so a process that dies at once still counts
 * as a failed start (backoff), never as a running service that failed.
 */
function spawned(m: Machine, cfg: Config, pid: number): Step {
  if (!isUp(m.state) || m.pid !== null) return { machine: m, effects: [] }; // late or stale
  if (m.state === "starting" && m.startwaitElapsed) {
    return { machine: { ...m, pid, startwaitElapsed: false }, effects: [{ kind: "arm", timer: "startwait", ms: cfg.startwaitMs }] };
  }
  return { machine: { ...m, pid }, effects: [] };
}

/**
 * Its proxy is gone (SPEC §7): `fail` with the reason, no respawn now (that
 * would start an auto proxy again at once); `resume` remembers to start it
 * when the proxy is up again if it would have been respawned.
 */
function lost(m: Machine, cfg: Config, w: World, reason: string, alive: boolean): Step {
  if (!isUp(m.state)) return { machine: m, effects: [] };
  const effects: Effect[] = [...cancelStart(cfg), cancel("stopwait")];
  if (alive && m.pid !== null) effects.push({ kind: "killOrphan", pid: m.pid });
  effects.push({ kind: "log", level: "error", message: `'${cfg.name}' has stopped: ${reason}` });
  const resume = m.pendingStart || (cfg.respawnOnFail && !m.wantDown);
  return settle({ ...m, failReason: reason, resume, pendingStart: false }, "fail", w, effects, false);
}

/**
 * What a start keeps of the counters: `fresh` (the operator asked) starts
 * over; `retry` (a backoff retry) keeps them all; `respawn` (after a crash,
 * or a clean exit with respawn_on_stop) starts a new failed-start count but
 * stays in the same crash loop.
 */
type StartMode = "fresh" | "retry" | "respawn";

function start(m: Machine, cfg: Config, w: World, mode: StartMode): Step {
  if (!cfg.hasCmd) return refuse(m, msg.noCommand(cfg.name));
  if (cfg.blocked !== null) {
    // a respawn or retry while the proxy is down: wait for the proxy
    const log: Effect = { kind: "log", level: "warn", message: `${cfg.name} will start when its proxy is up: ${cfg.blocked}` };
    return { machine: { ...m, resume: true, pendingStart: false, retryAt: null }, effects: [log] };
  }
  const machine: Machine = {
    ...m,
    state: "starting",
    pid: null,
    startTime: w.now,
    stopTime: null,
    failReason: "",
    failedStarts: mode === "retry" ? m.failedStarts : 0,
    failures: mode === "fresh" ? 0 : m.failures,
    recentRestarts: mode === "fresh" ? [] : m.recentRestarts,
    retryAt: null,
    attempt: 0,
    attemptOf: 0,
    ...FRESH_RUN,
    held: false,
    failing: null,
    reloadFailed: "",
  };
  const effects: Effect[] = [{ kind: "log", level: "info", message: `starting ${cfg.name}` }];
  if (m.state === "backoff" || m.retryAt !== null) effects.push(cancel("backoff"));
  if (cfg.waitingFor) {
    effects.push({ kind: "log", level: "info", message: `${cfg.name} waits for ${cfg.waitingFor}` });
    return { machine: { ...machine, held: true }, effects };
  }
  return launch(machine, cfg, effects);
}

/** Spawn, with the timer that decides when it is running (startwait) or not ready in time. */
function launch(m: Machine, cfg: Config, effects: Effect[]): Step {
  if (!cfg.ready) effects.push({ kind: "arm", timer: "startwait", ms: cfg.startwaitMs });
  else if (cfg.readyTimeoutMs != null) effects.push({ kind: "arm", timer: "ready", ms: cfg.readyTimeoutMs });
  effects.push({ kind: "spawn" });
  return { machine: m, effects };
}

function stop(m: Machine, cfg: Config, w: World): Step {
  return {
    machine: { ...m, state: "stopping", stopTime: w.now, startTime: null, wantDown: true },
    effects: [
      { kind: "log", level: "info", message: `Stopping service '${cfg.name}'` },
      ...cancelStart(cfg),
      { kind: "arm", timer: "stopwait", ms: cfg.stopwaitMs },
      { kind: "signal", signal: cfg.stopSignal },
    ],
  };
}

function timer(m: Machine, cfg: Config, w: World, t: TimerKind): Step {
  if (t === "startwait" && m.state === "starting" && !cfg.ready) {
    if (m.pid === null) {
      const message = `${cfg.name}: no pid from its proxy after startwait_secs=${cfg.startwaitMs / 1000}, still waiting`;
      return { machine: { ...m, startwaitElapsed: true }, effects: [{ kind: "log", level: "warn", message }] };
    }
    return {
      machine: { ...m, state: "running", failedStarts: 0 },
      effects: [
        { kind: "log", level: "info", message: `${cfg.name} is running (pid ${m.pid})` },
        armStable(cfg),
      ],
    };
  }
  if (t === "stable" && m.state === "running") {
    if (m.failures === 0 && m.recentRestarts.length === 0) return { machine: m, effects: [] };
    const message = `${cfg.name} ran for stable_secs=${cfg.stableMs / 1000}: crash-loop counters reset`;
    return { machine: { ...m, failures: 0, failedStarts: 0, recentRestarts: [] }, effects: [{ kind: "log", level: "info", message }] };
  }
  if (t === "stopwait" && m.state === "stopping") {
    const secs = cfg.stopwaitMs / 1000;
    if (m.pid === null) {
      // its proxy never reported a pid: nothing is known to kill
      const reason = `no pid reported within stopwait_secs=${secs}`;
      const log: Effect = { kind: "log", level: "error", message: `${cfg.name}: ${reason}` };
      return afterDown(m, cfg, w, settle({ ...m, failReason: reason }, "fail", w, [log], false));
    }
    return {
      machine: { ...m, killed: true },
      effects: [{ kind: "log", level: "warn", message: `service ${cfg.name} still running after ${secs}s, killing` }, { kind: "kill" }],
    };
  }
  if (t === "ready" && m.state === "starting" && !m.held) {
    return failing(m, cfg, w, `not ready within ready_timeout_secs=${(cfg.readyTimeoutMs ?? 0) / 1000}`, true);
  }
  if (t === "backoff" && m.state === "backoff") {
    return autoStart(m, cfg, w, "retry", `restarting ${cfg.name} [attempt: ${m.attempt}]`);
  }
  if (t === "backoff" && m.state === "fatal" && m.retryAt !== null) {
    return autoStart(m, cfg, w, "fresh", `retrying ${cfg.name}: fatal_retry_secs=${cfg.fatalRetryMs / 1000} elapsed`);
  }
  return { machine: m, effects: [] };
}

function exited(before: Machine, cfg: Config, w: World, code: number | null, signal: number | null): Step {
  const m: Machine = { ...before, lastExit: { code, signal, at: w.nowMs } };
  const cleanup: Effect[] = [...cancelStart(cfg), cancel("stopwait"), { kind: "reapGroup", pid: m.pid! }];
  if (m.failing) {
    // cfkd stopped it for a failure: that failure is the reason, whatever the exit
    const state = m.failing.start ? "starting" : "running";
    return failed({ ...m, state, failing: null }, cfg, w, m.failing.reason, cleanup);
  }
  const asked = m.wantDown && !m.killed && signal === cfg.stopSignal;
  if (code === 0 || signal === SIGTERM || asked) {
    cleanup.push({ kind: "log", level: "info", message: signal === null ? `child ${cfg.name} exited` : `child ${cfg.name} gracefully killed` });
    const s = settle(m, "stopped", w, cleanup, false);
    if (cfg.respawnOnStop && !m.wantDown && !m.pendingStart) return chain(s, autoStart(s.machine, cfg, w, "respawn", `respawning ${cfg.name} (respawn_on_stop)`));
    return s;
  }
  let reason = exitReason(code, signal);
  if (m.killed) reason += ` (did not stop within stopwait_secs=${cfg.stopwaitMs / 1000})`;
  cleanup.push({ kind: "log", level: "error", message: `child ${cfg.name} terminated abnormally: ${reason}` });
  return failed(m, cfg, w, reason, cleanup);
}

/** A failure: an abnormal exit, or a spawn that did not happen at all. */
function failed(m: Machine, cfg: Config, w: World, reason: string, effects: Effect[]): Step {
  const base = { ...m, failReason: reason, failures: m.wantDown ? m.failures : m.failures + 1 };
  if (!cfg.respawnOnFail || m.wantDown || m.pendingStart) return settle(base, "fail", w, effects, false);
  if (m.state === "starting") {
    // SPEC §4, as the original: backoff k × 0.3 s, fatal after respawn_max_retries
    const n = m.failedStarts + 1;
    if (n >= cfg.maxRetries) {
      effects.push({ kind: "log", level: "error", message: `${cfg.name} failed to start ${n} times in a row, giving up (fatal)` });
      return fatal({ ...base, failedStarts: n }, cfg, w, effects);
    }
    const ms = backoffDelay(n, cfg, w);
    effects.push({ kind: "log", level: "warn", message: `${cfg.name} failed while starting, retrying in ${ms / 1000}s` });
    return backoff({ ...base, failedStarts: n, attempt: n + 1, attemptOf: cfg.maxRetries }, w, ms, effects);
  }
  return crashed(base, cfg, w, effects);
}

/**
 * It was running (docs/daemon.md "Crash loops"): beyond max_restarts
 * restarts within restart_window_secs → fatal; the first crash after a
 * stable run starts again at once (the original's rule); a crash of a run
 * that was not stable backs off, the delay growing with the failures in a row.
 */
function crashed(m: Machine, cfg: Config, w: World, effects: Effect[]): Step {
  const bounded = cfg.maxRestarts > 0 && cfg.restartWindowMs > 0;
  const recent = bounded ? m.recentRestarts.filter((t) => w.nowMs - t < cfg.restartWindowMs) : [];
  if (bounded && recent.length >= cfg.maxRestarts) {
    const reason = loopReason(recent.length, w.nowMs - recent[0]!);
    effects.push({ kind: "log", level: "error", message: `${cfg.name} is crash-looping (${reason}; last: ${m.failReason}), giving up (fatal)` });
    return fatal({ ...m, failReason: reason, recentRestarts: [] }, cfg, w, effects);
  }
  const restarts = bounded ? [...recent, w.nowMs] : [];
  if (m.failures <= 1) {
    const s = settle({ ...m, recentRestarts: restarts }, "fail", w, effects, false);
    return chain(s, autoStart(s.machine, cfg, w, "respawn", `respawning ${cfg.name} (respawn_on_fail)`));
  }
  const ms = backoffDelay(m.failures - 1, cfg, w);
  effects.push({ kind: "log", level: "warn", message: `${cfg.name} crashed ${m.failures} times in a row, restarting in ${ms / 1000}s` });
  // bounded: the n-th restart of the window, of max_restarts; else the n-th failure in a row
  return backoff({ ...m, recentRestarts: restarts, attempt: bounded ? restarts.length : m.failures, attemptOf: bounded ? cfg.maxRestarts : 0 }, w, ms, effects);
}

/** `N restarts in M s`: the fail reason of a crash loop. */
export function loopReason(n: number, spanMs: number): string {
  return `${n} restarts in ${Math.round(spanMs / 100) / 10} s`;
}

/** k × 0.3 s, k uniformly drawn in [1, 2n − 1], at most respawn_delay_max. */
function backoffDelay(n: number, cfg: Config, w: World): number {
  const k = 1 + Math.floor(w.random() * (2 * n - 1));
  return Math.min(k * BACKOFF_UNIT_MS, cfg.respawnDelayMaxMs);
}

function backoff(m: Machine, w: World, ms: number, effects: Effect[]): Step {
  const s = settle(m, "backoff", w, effects, false);
  s.machine = { ...s.machine, retryAt: w.nowMs + ms };
  s.effects.push({ kind: "arm", timer: "backoff", ms });
  return s;
}

/** Give up; with fatal_retry_secs, only for that long. */
function fatal(m: Machine, cfg: Config, w: World, effects: Effect[]): Step {
  const s = settle(m, "fatal", w, effects, false);
  if (cfg.fatalRetryMs <= 0) return s;
  s.machine = { ...s.machine, retryAt: w.nowMs + cfg.fatalRetryMs };
  s.effects.push({ kind: "arm", timer: "backoff", ms: cfg.fatalRetryMs });
  return s;
}

/** A start nobody asked for (respawn, retry, resume): counted in `restarts`, and said so. */
function autoStart(m: Machine, cfg: Config, w: World, mode: StartMode, why: string): Step {
  const s = start(m, cfg, w, mode);
  if (s.machine.state === "starting") s.machine = { ...s.machine, restarts: m.restarts + 1 };
  s.effects.unshift({ kind: "log", level: "info", message: why });
  return s;
}

/** A restart waiting for the service to be down starts it now. */
function afterDown(before: Machine, cfg: Config, w: World, s: Step): Step {
  if (!before.pendingStart || isUp(s.machine.state)) return s;
  return chain(s, start({ ...s.machine, pendingStart: false }, cfg, w, "fresh"));
}

/** Enter a down state. */
function settle(m: Machine, state: ServiceState, w: World, effects: Effect[], wantDown: boolean): Step {
  const failure = state !== "stopped" && m.failReason !== "" ? { reason: m.failReason, at: w.now } : m.lastFailure;
  const machine: Machine = { ...m, state, lastFailure: failure, pid: null, stopTime: m.stopTime ?? w.now, startTime: null, killed: false, wantDown: wantDown || m.wantDown, retryAt: null, held: false, failing: null };
  return { machine, effects: [...effects, { kind: "down" }] };
}

/** Run a second step after a first (e.g. fail, then start again). */
function chain(a: Step, b: Step): Step {
  return { machine: b.machine, effects: [...a.effects, ...b.effects], via: [...(a.via ?? []), a.machine, ...(b.via ?? [])] };
}

function refuse(m: Machine, message: string): Step {
  return { machine: m, effects: [{ kind: "refused", message }] };
}

/** Cancel the timer that decides a start: startwait, or ready_timeout_secs. */
function cancelStart(cfg: Config): Effect[] {
  return cfg.ready ? [cancel("startwait"), cancel("ready")] : [cancel("startwait")];
}

/**
 * Entering `running` (startwait, or the ready signal) arms stable_secs. Not
 * cancelled when the run ends: the next run re-arms it, and it does nothing
 * unless the service is running.
 */
function armStable(cfg: Config): Effect {
  return { kind: "arm", timer: "stable", ms: cfg.stableMs };
}

function cancel(timer: TimerKind): Effect {
  return { kind: "cancel", timer };
}

/*
 * Reload: overlapping generations.
 *
 * `reload` sets the running process aside as `older` and starts a new one,
 * which is the service's process from then on (status shows the older pid
 * beside it). Once the new one is `running` (startwait, or its ready rule)
 * the older one gets its stop signal, then SIGKILL after stopwait_secs
 * (timer `retire`). If the new one fails to start (an exit, a failed spawn,
 * a ready timeout), the older one is the service's process again and the
 * service is `running` as before. A stop, restart or destroy meanwhile
 * stops both.
 */

function reload(m: Machine, cfg: Config, w: World): Step {
  const older = m.older ?? null;
  if (older !== null) return refuse(m, `the previous generation of ${cfg.name} (pid ${older.pid}) is still ${older.retiring ? "stopping" : "serving"}`);
  if (m.state !== "running" || m.pid === null || !cfg.overlap) {
    const s = transition(m, { kind: "restart" }, cfg, w);
    if (m.state === "running" && !cfg.overlap) s.effects.unshift(log("info", `reload of ${cfg.name} is a restart: it has no shared socket cfkd spawns it on`));
    return s;
  }
  const s = start({ ...m, older: { pid: m.pid, startTime: m.startTime, retiring: false }, reloadFailed: "" }, cfg, w, "fresh");
  s.effects.unshift(log("info", `reloading ${cfg.name}: pid ${m.pid} serves until the new generation is running`), { kind: "setAside" });
  return s;
}

/** An event about the older generation, or null when the event is the current process's. */
function olderEvent(m: Machine, ev: Event, cfg: Config, w: World): Step | null {
  const o = m.older ?? null;
  if (o === null) return null;
  if (ev.kind === "abandonReload") {
    if (o.retiring || m.state !== "starting" || m.pid === null) return { machine: m, effects: [] };
    const machine: Machine = { ...m, state: "running", pid: o.pid, startTime: o.startTime, older: { pid: m.pid, startTime: m.startTime, retiring: true }, reloadFailed: ev.reason };
    const message = `reload of ${cfg.name} abandoned (${ev.reason}): pid ${o.pid} keeps running, stopping pid ${m.pid}`;
    return {
      machine,
      effects: [...cancelStart(cfg), { kind: "swap" }, log("warn", message), { kind: "signalOlder", signal: cfg.stopSignal }, { kind: "arm", timer: "retire", ms: cfg.stopwaitMs }],
    };
  }
  if (ev.kind === "exited" && ev.pid === o.pid) {
    const effects: Effect[] = [cancel("retire"), { kind: "reapOlder", pid: o.pid }];
    if (o.retiring) effects.push(log("info", `the retired generation of ${cfg.name} (pid ${o.pid}) has stopped`));
    else effects.push(log("warn", `the previous generation of ${cfg.name} (pid ${o.pid}) ended during the reload: ${exitReason(ev.code, ev.signal)}`));
    if (!isActive(m)) effects.push({ kind: "down" });
    return { machine: { ...m, older: null, stopTime: m.stopTime ?? w.now }, effects };
  }
  if (ev.kind === "timer" && ev.timer === "retire") {
    if (!o.retiring) return { machine: m, effects: [] };
    const message = `the previous generation of ${cfg.name} (pid ${o.pid}) still running after ${cfg.stopwaitMs / 1000}s, killing`;
    return { machine: m, effects: [log("warn", message), { kind: "killOlder" }] };
  }
  return null;
}

/** After every transition: what becomes of an older generation that still serves. */
function reconcileOlder(s: Step, cfg: Config): Step {
  const m = s.machine;
  const o = m.older ?? null;
  if (o === null || o.retiring) return s;
  if (m.state === "running" && m.pid !== o.pid) return retire(s, cfg, `${cfg.name}: the new generation (pid ${m.pid}) is running, stopping pid ${o.pid}`);
  if (m.wantDown) return retire(s, cfg, `${cfg.name} is stopping: so does its previous generation (pid ${o.pid})`);
  if (m.state === "starting" || m.state === "stopping") return s; // the new generation's start is not decided yet
  return fallBack(s, cfg);
}

/** Send the older generation its stop signal, with stopwait_secs before SIGKILL. */
function retire(s: Step, cfg: Config, why: string): Step {
  const o = s.machine.older!;
  return {
    ...s,
    machine: { ...s.machine, older: { ...o, retiring: true } },
    effects: [...s.effects, log("info", why), { kind: "signalOlder", signal: cfg.stopSignal }, { kind: "arm", timer: "retire", ms: cfg.stopwaitMs }],
  };
}

/** The new generation failed to start: the older one is the service's process again. */
function fallBack(s: Step, cfg: Config): Step {
  const m = s.machine;
  const o = m.older!;
  const reason = showsFailReason(m.state) && m.failReason !== "" ? m.failReason : "it exited while starting";
  const machine: Machine = {
    ...m,
    state: "running",
    pid: o.pid,
    startTime: o.startTime,
    stopTime: null,
    failedStarts: 0,
    ...FRESH_RUN,
    older: null,
    reloadFailed: reason,
    retryAt: null,
  };
  const message = `reload of ${cfg.name} failed (${reason}): pid ${o.pid} keeps running`;
  // the failed start's own states (backoff…) are passed through on the way back (changes.ts)
  return { machine, effects: [...s.effects, cancel("backoff"), { kind: "reinstate" }, log("warn", message)], via: [...(s.via ?? []), s.machine] };
}

function log(level: "info" | "warn" | "error", message: string): Effect {
  return { kind: "log", level, message };
}
