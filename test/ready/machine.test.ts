/**
 * The life cycle's readiness transitions (machine.ts): ready, ready timeout,
 * unhealthy, held for dependencies. Pure: no process, no timer.
 */
import { describe, expect, test } from "bun:test";
import { step, initialMachine, type Config, type Event, type Machine, type Effect } from "../../src/daemon/service/machine.ts";
import { baseConfig, kinds, world } from "../daemon/machine-helpers.ts";

const base: Config = baseConfig;
const ready: Config = { ...base, ready: true, readyTimeoutMs: 500 };
const w = world;

function run(m: Machine, cfg: Config, ...evs: Event[]): { m: Machine; effects: string[] } {
  let effects: Effect[] = [];
  for (const e of evs) {
    const s = step(m, e, cfg, w);
    m = s.machine;
    effects = s.effects;
  }
  return { m, effects: kinds(effects) };
}

describe("ready=", () => {
  test("start arms the ready timeout, not startwait; ready → running", () => {
    const a = run(initialMachine, ready, { kind: "start" });
    expect(a.effects).toEqual(["arm:ready", "spawn"]);
    const b = run(a.m, ready, { kind: "spawned", pid: 7 }, { kind: "ready" });
    expect(b.m.state).toBe("running");
    expect(b.effects).toEqual(["cancel:ready", "arm:stable"]); // running: stable_secs starts (issue 16)
  });

  test("without ready_timeout_secs nothing is armed; startwait firing does nothing", () => {
    const a = run(initialMachine, { ...ready, readyTimeoutMs: null }, { kind: "start" });
    expect(a.effects).toEqual(["spawn"]);
    expect(run(a.m, { ...ready, readyTimeoutMs: null }, { kind: "spawned", pid: 7 }, { kind: "timer", timer: "startwait" }).m.state).toBe("starting");
  });

  test("ready while startwait rules, or when not starting, is ignored", () => {
    const a = run(initialMachine, base, { kind: "start" }, { kind: "spawned", pid: 7 }, { kind: "ready" });
    expect(a.m.state).toBe("starting");
    const r = run(initialMachine, ready, { kind: "ready" });
    expect(r.m.state).toBe("stopped");
  });

  test("ready timeout: stop signal, then the exit is a failed start (backoff) with the reason", () => {
    const a = run(initialMachine, ready, { kind: "start" }, { kind: "spawned", pid: 7 }, { kind: "timer", timer: "ready" });
    expect(a.m.state).toBe("stopping");
    expect(a.effects).toEqual(["cancel:startwait", "cancel:ready", "arm:stopwait", "signal"]);
    const b = run(a.m, ready, { kind: "exited", pid: 7, code: null, signal: 15 });
    expect(b.m.state).toBe("backoff");
    expect(b.m.failReason).toBe("not ready within ready_timeout_secs=0.5");
    expect(b.m.failedStarts).toBe(1);
  });

  test("an operator stop while cfkd stops a failing service: it stays down", () => {
    const a = run(initialMachine, ready, { kind: "start" }, { kind: "spawned", pid: 7 }, { kind: "timer", timer: "ready" }, { kind: "stop" });
    const b = run(a.m, ready, { kind: "exited", pid: 7, code: null, signal: 15 });
    expect(b.m.state).toBe("fail");
  });
});

test("destroy while cfkd stops a failing service: it is forgotten, not started again", () => {
  const a = run(initialMachine, ready, { kind: "start" }, { kind: "spawned", pid: 7 }, { kind: "timer", timer: "ready" }, { kind: "destroy" });
  const b = run(a.m, ready, { kind: "exited", pid: 7, code: null, signal: 15 });
  expect(b.m.state).toBe("fail");
  expect(b.effects).toContain("forget");
});

describe("health", () => {
  test("unhealthy when running: stop, then fail and start again with the reason logged", () => {
    const a = run(initialMachine, base, { kind: "start" }, { kind: "spawned", pid: 7 }, { kind: "timer", timer: "startwait" });
    expect(a.m.state).toBe("running");
    const b = run(a.m, base, { kind: "unhealthy", reason: "health check failed: probe x: HTTP 500" });
    expect(b.m.state).toBe("stopping");
    const s = step(b.m, { kind: "exited", pid: 7, code: null, signal: 15 }, base, w);
    expect(s.machine.state).toBe("starting");
    expect(s.effects.some((e) => e.kind === "log" && e.message === "child s terminated abnormally: health check failed: probe x: HTTP 500")).toBe(false);
    expect(kinds(s.effects)).toEqual(["cancel:startwait", "cancel:stopwait", "reapGroup", "down", "arm:startwait", "spawn"]);
  });

  test("unhealthy in any other state is ignored", () => {
    for (const m of [initialMachine, run(initialMachine, base, { kind: "start" }).m]) {
      expect(step(m, { kind: "unhealthy", reason: "x" }, base, w).effects).toEqual([]);
    }
  });
});

describe("after= (held)", () => {
  const waiting: Config = { ...base, waitingFor: "db" };
  test("start while a dependency is not running: starting, held, nothing spawned or armed", () => {
    const a = run(initialMachine, waiting, { kind: "start" });
    expect(a.m.state).toBe("starting");
    expect(a.m.held).toBe(true);
    expect(a.effects).toEqual([]);
    const b = run(a.m, base, { kind: "depsReady" });
    expect(b.m.held).toBe(false);
    expect(b.effects).toEqual(["arm:startwait", "spawn"]);
  });

  test("a failed dependency fails it; a stop while held stops it at once", () => {
    const a = run(initialMachine, waiting, { kind: "start" });
    const f = run(a.m, waiting, { kind: "depFailed", reason: "dependency 'db' is fatal" });
    expect(f.m.state).toBe("fail");
    expect(f.m.failReason).toBe("dependency 'db' is fatal");
    const s = run(a.m, waiting, { kind: "stop" });
    expect(s.m.state).toBe("stopped");
    expect(s.effects).toEqual(["down"]);
    expect(run(a.m, waiting, { kind: "restart" }).m).toBe(a.m);
  });
});
