/**
 * The life cycle (SPEC §4), walked pair by pair: every state × every event,
 * then the sequences that matter (respawn, backoff → fatal, restart).
 */
import { describe, expect, test } from "bun:test";
import { step, initialMachine, type Config, type Event, type Machine, type Step } from "../../src/daemon/service/machine.ts";
import type { ServiceState } from "../../src/protocol/status.ts";
import { baseConfig, kinds, world } from "./machine-helpers.ts";

const cfg: Config = baseConfig;

function inState(state: ServiceState, extra: Partial<Machine> = {}): Machine {
  const pid = state === "starting" || state === "running" || state === "stopping" ? 42 : null;
  return { ...initialMachine, state, pid, ...extra };
}

const E = {
  start: { kind: "start" },
  stop: { kind: "stop" },
  restart: { kind: "restart" },
  spawned: { kind: "spawned", pid: 43 },
  spawnFailed: { kind: "spawnFailed", reason: "ENOENT" },
  exit0: { kind: "exited", pid: 42, code: 0, signal: null },
  exit3: { kind: "exited", pid: 42, code: 3, signal: null },
  term: { kind: "exited", pid: 42, code: null, signal: 15 },
  kill: { kind: "exited", pid: 42, code: null, signal: 9 },
  startwait: { kind: "timer", timer: "startwait" },
  stopwait: { kind: "timer", timer: "stopwait" },
  backoff: { kind: "timer", timer: "backoff" },
  stable: { kind: "timer", timer: "stable" },
  lost: { kind: "lost", reason: "proxy stopped", alive: true },
  resume: { kind: "resume" },
  destroy: { kind: "destroy" },
  keep: { kind: "keep" },
} satisfies Record<string, Event>;

type Row = [ServiceState, keyof typeof E, ServiceState, string[]];
// state, event → next state, effects (without logs)
const table: Row[] = [
  ["stopped", "start", "starting", ["arm:startwait", "spawn"]],
  ["stopped", "stop", "stopped", ["refused"]],
  ["stopped", "restart", "starting", ["arm:startwait", "spawn"]],
  ["stopped", "exit3", "stopped", []],
  ["stopped", "startwait", "stopped", []],
  ["starting", "start", "starting", ["refused"]],
  ["starting", "stop", "stopping", ["cancel:startwait", "arm:stopwait", "signal"]],
  ["starting", "spawned", "starting", []],
  ["starting", "startwait", "running", ["arm:stable"]],
  ["starting", "exit0", "stopped", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down"]],
  ["starting", "term", "stopped", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down"]],
  ["starting", "exit3", "backoff", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down", "arm:backoff"]],
  ["starting", "spawnFailed", "starting", []], // pid already known: stale
  ["running", "start", "running", ["refused"]],
  ["running", "stop", "stopping", ["cancel:startwait", "arm:stopwait", "signal"]],
  ["running", "exit0", "stopped", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down"]],
  ["running", "kill", "starting", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down", "arm:startwait", "spawn"]],
  ["running", "restart", "stopping", ["cancel:startwait", "arm:stopwait", "signal"]],
  ["running", "startwait", "running", []],
  ["stopping", "stop", "stopping", []],
  ["stopping", "start", "stopping", ["refused"]],
  ["stopping", "stopwait", "stopping", ["kill"]],
  ["stopping", "term", "stopped", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down"]],
  ["stopping", "exit3", "fail", ["cancel:startwait", "cancel:stopwait", "reapGroup", "down"]],
  ["fail", "start", "starting", ["arm:startwait", "spawn"]],
  ["fail", "stop", "fail", ["refused"]],
  ["fatal", "start", "starting", ["arm:startwait", "spawn"]],
  ["fatal", "stop", "fatal", ["refused"]],
  ["backoff", "backoff", "starting", ["cancel:backoff", "arm:startwait", "spawn"]],
  ["backoff", "stop", "stopped", ["cancel:backoff", "down"]],
  ["backoff", "start", "starting", ["cancel:backoff", "arm:startwait", "spawn"]],
  ["backoff", "restart", "starting", ["cancel:backoff", "arm:startwait", "spawn"]],
  ["backoff", "exit3", "backoff", []],
  ["backoff", "stable", "backoff", []],
  ["running", "stable", "running", []],
  ["starting", "stable", "starting", []],
  ["fatal", "backoff", "fatal", []], // no fatal_retry_secs: nothing pending
  // a proxy that goes away: fail, and its orphan is killed; no respawn now
  ["starting", "lost", "fail", ["cancel:startwait", "cancel:stopwait", "killOrphan", "down"]],
  ["running", "lost", "fail", ["cancel:startwait", "cancel:stopwait", "killOrphan", "down"]],
  ["stopping", "lost", "fail", ["cancel:startwait", "cancel:stopwait", "killOrphan", "down"]],
  ["stopped", "lost", "stopped", []],
  ["fail", "lost", "fail", []],
  ["backoff", "lost", "backoff", []],
  // resume without a pending resume does nothing
  ["stopped", "resume", "stopped", []],
  ["fail", "resume", "fail", []],
  ["running", "resume", "running", []],
  // destroy: a want the machine reconciles — stop if active, forget once down
  ["stopped", "destroy", "stopped", ["forget"]],
  ["fail", "destroy", "fail", ["forget"]],
  ["fatal", "destroy", "fatal", ["forget"]],
  ["starting", "destroy", "stopping", ["cancel:startwait", "arm:stopwait", "signal"]],
  ["running", "destroy", "stopping", ["cancel:startwait", "arm:stopwait", "signal"]],
  ["stopping", "destroy", "stopping", []],
  ["backoff", "destroy", "stopped", ["cancel:backoff", "forget", "down"]],
  ["running", "keep", "running", []],
  ["stopped", "keep", "stopped", []],
];

describe("every state × event", () => {
  for (const [from, ev, to, effects] of table) {
    test(`${from} + ${ev} → ${to}`, () => {
      const m = from === "stopping" ? inState(from, { wantDown: true }) : inState(from, from === "backoff" ? { failedStarts: 1 } : {});
      const s = step(m, E[ev], cfg, world);
      expect(s.machine.state).toBe(to);
      expect(kinds(s.effects)).toEqual(effects);
    });
  }
});

describe("sequences", () => {
  test("no cmd: start and restart are refused with the original's message", () => {
    const s = step(initialMachine, E.start, { ...cfg, hasCmd: false }, world);
    expect(s.effects).toContainEqual({ kind: "refused", message: "Service 's' has no known command" });
  });

  test("fail reasons", () => {
    const r1 = step(inState("running"), E.exit3, { ...cfg, respawnOnFail: false }, world);
    expect([r1.machine.state, r1.machine.failReason]).toEqual(["fail", "Exited with error 3"]);
    const r2 = step(inState("running"), E.kill, { ...cfg, respawnOnFail: false }, world);
    expect([r2.machine.state, r2.machine.failReason]).toEqual(["fail", "Received signal 9"]);
  });

  test("failed starts back off with k × 0.3 s, k in [1, 2n−1], then fatal after maxRetries", () => {
    const delays: number[] = [];
    let m = inState("starting");
    for (let n = 1; n < cfg.maxRetries; n++) {
      const s = step(m, E.exit3, cfg, { now: 1, nowMs: 1000, random: () => 0.999 });
      expect(s.machine.state).toBe("backoff");
      const arm = s.effects.find((e) => e.kind === "arm") as { ms: number };
      delays.push(arm.ms);
      m = { ...step(s.machine, E.backoff, cfg, world).machine, pid: 42 };
      expect(m.state).toBe("starting");
    }
    expect(delays).toEqual([300, 900]); // k max = 2n−1 → 1, 3
    const last = step(m, E.exit3, cfg, world);
    expect(last.machine.state).toBe("fatal");
    expect(last.machine.failedStarts).toBe(cfg.maxRetries);
  });

  test("running resets the failed-start counter", () => {
    const m = step(inState("starting", { failedStarts: 2 }), E.startwait, cfg, world).machine;
    expect(m.failedStarts).toBe(0);
  });

  test("SIGKILL after stopwait ends in fail, even with respawn_on_fail", () => {
    let m = step(inState("running"), E.stop, cfg, world).machine;
    m = step(m, E.stopwait, cfg, world).machine;
    const s = step(m, E.kill, cfg, world);
    expect(s.machine.state).toBe("fail");
    expect(s.machine.failReason).toStartWith("Received signal 9");
  });

  test("respawn_on_stop restarts a clean exit the daemon did not ask for, not a stop", () => {
    const c = { ...cfg, respawnOnStop: true };
    expect(step(inState("running"), E.exit0, c, world).machine.state).toBe("starting");
    const stopping = step(inState("running"), E.stop, c, world).machine;
    expect(step(stopping, E.term, c, world).machine.state).toBe("stopped");
  });

  test("a stop signal other than TERM still counts as a clean stop when we sent it", () => {
    const c = { ...cfg, stopSignal: 2 };
    const stopping = step(inState("running"), E.stop, c, world).machine;
    const s = step(stopping, { kind: "exited", pid: 42, code: null, signal: 2 }, c, world);
    expect(s.machine.state).toBe("stopped");
  });

  test("restart waits for the exit, then starts", () => {
    const s1 = step(inState("running"), E.restart, cfg, world);
    expect(s1.machine.pendingStart).toBe(true);
    const s2 = step(s1.machine, E.term, cfg, world);
    expect(s2.machine.state).toBe("starting");
    expect(kinds(s2.effects)).toContain("spawn");
  });

  test("restart of a service that dies badly while stopping still starts it", () => {
    const s1 = step(inState("running"), E.restart, cfg, world);
    const s2 = step(s1.machine, E.exit3, cfg, world);
    expect(s2.machine.state).toBe("starting");
  });

  test("an exit of an older process is ignored", () => {
    const s = step(inState("running"), { kind: "exited", pid: 7, code: 1, signal: null }, cfg, world);
    expect(s.machine.state).toBe("running");
    expect(s.effects).toEqual([]);
  });

  test("a spawn that fails is a failed start", () => {
    const m = inState("starting", { pid: null });
    const s = step(m, E.spawnFailed, cfg, world);
    expect(s.machine.state).toBe("backoff");
    expect(s.machine.failReason).toBe("ENOENT");
    const s2 = step(m, E.spawnFailed, { ...cfg, respawnOnFail: false }, world);
    expect(s2.machine.state).toBe("fail");
  });

  test("times: start records start_time and clears stop_time; stop the reverse", () => {
    const a = step({ ...initialMachine, stopTime: 5 }, E.start, cfg, { now: 100, nowMs: 100_000, random: () => 0 }).machine;
    expect([a.startTime, a.stopTime]).toEqual([100, null]);
    const b = step({ ...a, pid: 1, state: "running" }, E.stop, cfg, { now: 200, nowMs: 200_000, random: () => 0 }).machine;
    expect([b.startTime, b.stopTime]).toEqual([null, 200]);
  });
});

describe("destroy", () => {
  test("a destroyed service is forgotten when its process ends, before `down`", () => {
    const s1 = step(inState("running"), E.destroy, cfg, world);
    expect(s1.machine.wantGone).toBe(true);
    const s2 = step(s1.machine, E.term, cfg, world);
    expect(s2.machine.state).toBe("stopped");
    expect(kinds(s2.effects)).toEqual(["cancel:startwait", "cancel:stopwait", "reapGroup", "forget", "down"]);
  });

  test("declared again (keep) while stopping: not forgotten", () => {
    const m = step(step(inState("running"), E.destroy, cfg, world).machine, E.keep, cfg, world).machine;
    expect(m.wantGone).toBe(false);
    expect(kinds(step(m, E.term, cfg, world).effects)).not.toContain("forget");
  });

  test("started again before it is down: forgotten only once down for good", () => {
    let m = step(inState("running"), E.destroy, cfg, world).machine;
    m = step(m, E.restart, cfg, world).machine; // pendingStart
    const s = step(m, E.term, cfg, world);
    expect(s.machine.state).toBe("starting");
    expect(kinds(s.effects)).not.toContain("forget");
  });
});

describe("proxied services (SPEC §7)", () => {
  const blocked = { ...cfg, blocked: "Proxy 'p' is not running" };
  const starting = () => step(initialMachine, E.start, cfg, world).machine;

  test("a pid reported after startwait elapsed: the wait starts again from it", () => {
    let m = starting();
    expect(m.pid).toBeNull();
    const t = step(m, E.startwait, cfg, world);
    expect(t.machine.state).toBe("starting");
    expect(t.machine.startwaitElapsed).toBe(true);
    m = t.machine;
    const s = step(m, { kind: "spawned", pid: 50 }, cfg, world);
    expect(s.machine.pid).toBe(50);
    expect(kinds(s.effects)).toEqual(["arm:startwait"]);
    const r = step(s.machine, E.startwait, cfg, world);
    expect(r.machine.state).toBe("running");
  });

  test("a pid reported before startwait elapsed: running when the timer fires", () => {
    const s = step(starting(), { kind: "spawned", pid: 50 }, cfg, world);
    expect(kinds(s.effects)).toEqual([]);
    expect(step(s.machine, E.startwait, cfg, world).machine.state).toBe("running");
  });

  test("a late pid for a service that is down is ignored", () => {
    const s = step(inState("fail"), { kind: "spawned", pid: 50 }, cfg, world);
    expect(s.machine.pid).toBeNull();
  });

  test("a process that dies right after a late pid is a failed start (backoff)", () => {
    let m = step(starting(), E.startwait, cfg, world).machine;
    m = step(m, { kind: "spawned", pid: 50 }, cfg, world).machine;
    const s = step(m, { kind: "exited", pid: 50, code: 1, signal: null }, cfg, world);
    expect(s.machine.state).toBe("backoff");
  });

  test("stop before the pid is known: the pid may still come, then the exit", () => {
    let m = step(starting(), E.stop, cfg, world).machine;
    expect(m.state).toBe("stopping");
    m = step(m, { kind: "spawned", pid: 50 }, cfg, world).machine;
    expect(m.pid).toBe(50);
    expect(step(m, { kind: "exited", pid: 50, code: null, signal: 15 }, cfg, world).machine.state).toBe("stopped");
  });

  test("no pid ever reported: stopwait ends the stop in fail, nothing to kill", () => {
    const m = step(starting(), E.stop, cfg, world).machine;
    const s = step(m, E.stopwait, cfg, world);
    expect(s.machine.state).toBe("fail");
    expect(s.machine.failReason).toBe("no pid reported within stopwait_secs=2");
    expect(kinds(s.effects)).not.toContain("kill");
  });

  test("a start the proxy never sent, then stopped: stopped", () => {
    const m = step(starting(), E.stop, cfg, world).machine;
    const s = step(m, { kind: "spawnFailed", reason: "stopped before its proxy started it" }, cfg, world);
    expect(s.machine.state).toBe("stopped");
    expect(kinds(s.effects)).toEqual(["cancel:stopwait", "down"]);
  });

  test("lost: fail with the reason; resume only when it would have been respawned", () => {
    const s = step(inState("running"), E.lost, cfg, world);
    expect([s.machine.state, s.machine.failReason, s.machine.resume]).toEqual(["fail", "proxy stopped", true]);
    expect(s.effects).toContainEqual({ kind: "killOrphan", pid: 42 });
    expect(step(inState("running"), E.lost, { ...cfg, respawnOnFail: false }, world).machine.resume).toBe(false);
    // a stop we asked for is not undone by the proxy's return
    expect(step(inState("stopping", { wantDown: true }), E.lost, cfg, world).machine.resume).toBe(false);
    // but a restart that waited for the stop is
    expect(step(inState("stopping", { wantDown: true, pendingStart: true }), E.lost, cfg, world).machine.resume).toBe(true);
  });

  test("lost with a process known to be dead kills nothing", () => {
    const s = step(inState("running"), { kind: "lost", reason: "proxy stopped", alive: false }, cfg, world);
    expect(kinds(s.effects)).not.toContain("killOrphan");
  });

  test("resume starts a service that waits for its proxy; stop cancels the wait", () => {
    const lostM = step(inState("running"), E.lost, cfg, world).machine;
    const s = step(lostM, E.resume, cfg, world);
    expect(s.machine.state).toBe("starting");
    expect(kinds(s.effects)).toEqual(["arm:startwait", "spawn"]);
    const stopped = step(lostM, E.stop, cfg, world);
    expect(stopped.effects).toContainEqual({ kind: "refused", message: "Service 's' is already down" });
    expect(step(stopped.machine, E.resume, cfg, world).machine.state).toBe("fail");
  });

  test("blocked (a noauto proxy that is down): start and restart are refused", () => {
    for (const ev of [E.start, E.restart]) {
      const s = step(inState("stopped"), ev, blocked, world);
      expect(s.machine.state).toBe("stopped");
      expect(s.effects).toContainEqual({ kind: "refused", message: "Proxy 'p' is not running" });
    }
  });

  test("blocked respawns and retries wait for the proxy instead", () => {
    const r = step(inState("running"), E.kill, blocked, world);
    expect(r.machine.state).toBe("fail");
    expect(r.machine.resume).toBe(true);
    expect(kinds(r.effects)).not.toContain("spawn");
    const b = step(inState("backoff", { failedStarts: 1 }), E.backoff, blocked, world);
    expect(b.machine.resume).toBe(true);
    expect(kinds(b.effects)).not.toContain("spawn");
    // the proxy is back: resume from backoff keeps the failed-start count
    const s = step(b.machine, E.resume, cfg, world);
    expect([s.machine.state, s.machine.failedStarts]).toEqual(["starting", 1]);
  });
});

describe("restarts and the last failure (issue 13)", () => {
  test("respawns and backoff retries count; operator starts do not; the last failure outlives the next start", () => {
    let m = inState("running");
    m = step(m, E.exit3, cfg, world).machine; // fail, respawned at once
    expect(m).toMatchObject({ state: "starting", restarts: 1, failReason: "", lastFailure: { reason: "Exited with error 3", at: 1000 } });
    m = step({ ...m, pid: 42 }, E.exit3, cfg, world).machine; // failed while starting: backoff
    expect(m).toMatchObject({ state: "backoff", restarts: 1 });
    m = step(m, E.backoff, cfg, world).machine; // retry
    expect(m.restarts).toBe(2);
    m = step({ ...m, pid: 42 }, E.exit0, cfg, world).machine;
    m = step(m, E.start, cfg, world).machine; // the operator's start
    expect(m).toMatchObject({ state: "starting", restarts: 2, lastFailure: { reason: "Exited with error 3" } });
    // a clean stop is no failure
    expect(step(inState("stopping", { wantDown: true }), E.term, cfg, world).machine.lastFailure).toBeNull();
  });
});

describe("adoption after a crash of cfkd (issue 13)", () => {
  test("adopt: a down service runs the found pid and watches it; an up one refuses", () => {
    const s = step(inState("fatal", { restarts: 2 }), { kind: "adopt", pid: 77, startTime: 500 }, cfg, world);
    expect(s.machine).toMatchObject({ state: "running", pid: 77, startTime: 500, restarts: 2, failedStarts: 0 });
    expect(kinds(s.effects)).toEqual(["watch"]);
    expect(step(inState("running"), { kind: "adopt", pid: 77, startTime: 500 }, cfg, world).effects).toEqual([]);
  });
  test("vanished: after a stop it is stopped; otherwise a failure with unknown status, respawned", () => {
    const stopped = step(inState("stopping", { wantDown: true }), { kind: "vanished", pid: 42 }, cfg, world);
    expect(stopped.machine.state).toBe("stopped");
    const failed = step(inState("running"), { kind: "vanished", pid: 42 }, cfg, world);
    expect(failed.machine).toMatchObject({ state: "starting", restarts: 1, lastFailure: { reason: "Exit status unknown" } });
    expect(step(inState("running"), { kind: "vanished", pid: 41 }, cfg, world).effects).toEqual([]); // another pid: stale
  });
});

describe("crash loops (docs/daemon.md)", () => {
  /** A run of `ms` milliseconds that ends in exit 1, from `starting` at `t`: returns the step of the exit. */
  function runThenCrash(m: Machine, c: Config, t: number, ms: number, random = () => 0): Step {
    const w = (at: number) => ({ now: Math.floor(at / 1000), nowMs: at, random });
    let x = step(m, { kind: "spawned", pid: 42 }, c, w(t)).machine;
    x = step(x, E.startwait, c, w(t + c.startwaitMs)).machine;
    expect(x.state).toBe("running");
    return step(x, E.exit3, c, w(t + c.startwaitMs + ms));
  }
  const started = (c: Config) => step(initialMachine, E.start, c, world).machine;
  const armed = (s: Step, timer: string) => (s.effects.find((e) => e.kind === "arm" && e.timer === timer) as { ms: number } | undefined)?.ms;

  test("the first crash after running restarts at once (the original's rule)", () => {
    const s = runThenCrash(started(cfg), cfg, 1_000_000, 50);
    expect(s.machine.state).toBe("starting");
    expect(kinds(s.effects)).toContain("spawn");
    expect([s.machine.failures, s.machine.recentRestarts.length, s.machine.restarts]).toEqual([1, 1, 1]);
    expect(s.machine.lastExit).toEqual({ code: 3, signal: null, at: 1_001_050 });
  });

  test("crashes of runs that were not stable back off, then fatal with 'N restarts in M s'", () => {
    let m = started(cfg);
    let t = 1_000_000;
    const states: string[] = [];
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      const s = runThenCrash(m, cfg, t, 50);
      states.push(s.machine.state);
      delays.push(armed(s, "backoff"));
      t += cfg.startwaitMs + 50;
      if (s.machine.state === "backoff") {
        expect(s.machine.retryAt).toBe(t + armed(s, "backoff")!);
        expect([s.machine.attempt, s.machine.attemptOf]).toEqual([s.machine.recentRestarts.length, cfg.maxRestarts]);
        t = s.machine.retryAt!;
        m = step(s.machine, E.backoff, cfg, { now: 0, nowMs: t, random: () => 0 }).machine;
      } else m = s.machine;
    }
    expect(states).toEqual(["starting", "backoff", "backoff", "backoff", "backoff", "fatal"]);
    expect(delays).toEqual([undefined, 300, 300, 300, 300, undefined]); // random 0: k = 1
    expect(m.failReason).toMatch(/^5 restarts in \d+(\.\d)? s$/);
    expect(m.retryAt).toBeNull();
    expect(m.failures).toBe(6);
  });

  test("the delay grows with the failures in a row, capped by respawn_delay_max", () => {
    const c = { ...cfg, maxRestarts: 0, respawnDelayMaxMs: 2000 };
    const s = runThenCrash({ ...started(c), failures: 3 }, c, 1_000_000, 50, () => 0.999);
    expect(armed(s, "backoff")).toBe(1500); // the 4th failure in a row: n = 3, k = 2n − 1 = 5 at most
    const big = runThenCrash({ ...started(c), failures: 40 }, c, 1_000_000, 50, () => 0.999);
    expect(armed(big, "backoff")).toBe(2000);
    // unbounded (max_restarts=0): never fatal; the attempt is the failure in a row, with no "of"
    expect([big.machine.state, big.machine.attempt, big.machine.attemptOf]).toEqual(["backoff", 41, 0]);
  });

  test("a run that lasted stable_secs resets the counters: its crash is attempt 1 again", () => {
    const m = { ...started(cfg), failures: 4, recentRestarts: [999_000, 999_500] };
    let x = step(m, { kind: "spawned", pid: 42 }, cfg, world).machine;
    const r = step(x, E.startwait, cfg, world);
    expect(armed(r, "stable")).toBe(cfg.stableMs);
    x = step(r.machine, E.stable, cfg, world).machine;
    expect([x.failures, x.recentRestarts.length]).toEqual([0, 0]);
    const s = step(x, E.exit3, cfg, world);
    expect(s.machine.state).toBe("starting"); // at once, not backoff
    expect([s.machine.failures, s.machine.recentRestarts.length]).toEqual([1, 1]);
  });

  test("restarts older than restart_window_secs do not count", () => {
    const old = [1_000_000 - 61_000, 1_000_000 - 60_500, 1_000_000 - 60_001, 1_000_000 - 70_000, 1_000_000 - 65_000];
    const s = runThenCrash({ ...started(cfg), failures: 2, recentRestarts: old }, cfg, 1_000_000 - cfg.startwaitMs - 50, 50);
    expect(s.machine.state).toBe("backoff");
    expect(s.machine.recentRestarts).toEqual([1_000_000]);
  });

  test("fatal_retry_secs: fatal arms a retry; it starts afresh; stop cancels it", () => {
    const c = { ...cfg, fatalRetryMs: 2000 };
    const m = { ...started(c), failures: 3, recentRestarts: [999_000, 999_100, 999_200, 999_300, 999_400] };
    const f = runThenCrash(m, c, 1_000_000 - 1050, 50);
    expect(f.machine.state).toBe("fatal");
    expect(armed(f, "backoff")).toBe(2000);
    expect(f.machine.retryAt).toBe(1_002_000);
    const r = step(f.machine, E.backoff, c, world);
    expect(r.machine.state).toBe("starting");
    expect([r.machine.failures, r.machine.recentRestarts.length, r.machine.restarts]).toEqual([0, 0, f.machine.restarts + 1]);
    const stopped = step(f.machine, E.stop, c, world);
    expect(stopped.machine.state).toBe("stopped");
    expect(kinds(stopped.effects)).toEqual(["cancel:backoff", "down"]);
    // start from a fatal that waits for its retry cancels the timer
    expect(kinds(step(f.machine, E.start, c, world).effects)).toEqual(["cancel:backoff", "arm:startwait", "spawn"]);
  });

  test("start failures keep the original's rule and also get fatal_retry_secs", () => {
    const c = { ...cfg, fatalRetryMs: 5000 };
    const s = step(inState("starting", { failedStarts: 2 }), E.exit3, c, world);
    expect(s.machine.state).toBe("fatal");
    expect(s.machine.failReason).toBe("Exited with error 3");
    expect(armed(s, "backoff")).toBe(5000);
    const b = step(inState("starting", { failedStarts: 1 }), E.exit3, cfg, world);
    expect([b.machine.attempt, b.machine.attemptOf]).toEqual([3, 3]);
  });

  test("a chained step reports the states it passed through (running → fail → starting)", () => {
    const s = step(inState("running"), E.kill, cfg, world);
    expect(s.via?.map((m) => m.state)).toEqual(["fail"]);
    expect(s.machine.state).toBe("starting");
    expect(step(inState("running"), E.stop, cfg, world).via).toBeUndefined();
  });

  test("an operator start starts a new count; a start during backoff keeps it", () => {
    const looping = { ...inState("fail"), failures: 3, recentRestarts: [1, 2] };
    expect(step(looping, E.start, cfg, world).machine.failures).toBe(0);
    const b = { ...inState("backoff", { failedStarts: 1 }), failures: 3, recentRestarts: [1, 2] };
    expect(step(b, E.start, cfg, world).machine.failures).toBe(3);
  });
});
