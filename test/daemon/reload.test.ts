/**
 * Reload's overlapping generations (machine.ts `older`), step by step, and
 * the deploy commands (deploy/) in process on a fake clock and spawner:
 * a reload retires the old generation once the new one runs, falls back to
 * it when the new one fails or is late; a rolling restart goes one batch at
 * a time and stops at the first failure.
 */
import { describe, expect, test } from "bun:test";
import { step, initialMachine, type Config, type Machine } from "../../src/daemon/service/machine.ts";
import { settle } from "./fakes.ts";
import { baseConfig, fakeController, kinds, world } from "./machine-helpers.ts";

const cfg: Config = { ...baseConfig, overlap: true };
const running: Machine = { ...initialMachine, state: "running", pid: 42, startTime: 900 };
/** running, reloaded, the new generation spawned as pid 43 */
const overlapping = (): Machine => step(step(running, { kind: "reload" }, cfg, world).machine, { kind: "spawned", pid: 43 }, cfg, world).machine;

describe("the machine", () => {
  test("reload sets the running process aside and starts a new one", () => {
    const s = step(running, { kind: "reload" }, cfg, world);
    expect(s.machine).toMatchObject({ state: "starting", older: { pid: 42, startTime: 900, retiring: false } });
    expect(kinds(s.effects)).toEqual(["setAside", "arm:startwait", "spawn"]);
  });

  test("without a shared socket (or when not running) reload is a restart", () => {
    const s = step(running, { kind: "reload" }, { ...cfg, overlap: false }, world);
    expect(s.machine).toMatchObject({ state: "stopping", pendingStart: true, older: null });
    expect(s.effects).toContainEqual({ kind: "log", level: "info", message: "reload of s is a restart: it has no shared socket cfkd spawns it on" });
    expect(step({ ...initialMachine }, { kind: "reload" }, cfg, world).machine.state).toBe("starting");
  });

  test("the new generation running: the old one gets its stop signal, SIGKILL after stopwait, and goes", () => {
    const s = step(overlapping(), { kind: "timer", timer: "startwait" }, cfg, world);
    expect(s.machine).toMatchObject({ state: "running", pid: 43, older: { pid: 42, retiring: true } });
    expect(kinds(s.effects)).toEqual(["arm:stable", "signalOlder", "arm:retire"]);
    expect(kinds(step(s.machine, { kind: "timer", timer: "retire" }, cfg, world).effects)).toEqual(["killOlder"]);
    const gone = step(s.machine, { kind: "exited", pid: 42, code: null, signal: 15 }, cfg, world);
    expect(gone.machine).toMatchObject({ state: "running", pid: 43, older: null });
    expect(kinds(gone.effects)).toEqual(["cancel:retire", "reapOlder"]);
  });

  test("the new generation dies while starting: the old one is the service's process again", () => {
    const s = step(overlapping(), { kind: "exited", pid: 43, code: 3, signal: null }, cfg, world);
    expect(s.machine).toMatchObject({ state: "running", pid: 42, startTime: 900, older: null, reloadFailed: "Exited with error 3", failedStarts: 0 });
    expect(kinds(s.effects)).toEqual(["cancel:startwait", "cancel:stopwait", "reapGroup", "down", "arm:backoff", "cancel:backoff", "reinstate"]);
  });

  test("abandoned (late): the generations trade places, the new one is stopped", () => {
    const s = step(overlapping(), { kind: "abandonReload", reason: "late" }, cfg, world);
    expect(s.machine).toMatchObject({ state: "running", pid: 42, older: { pid: 43, retiring: true }, reloadFailed: "late" });
    expect(kinds(s.effects)).toEqual(["cancel:startwait", "swap", "signalOlder", "arm:retire"]);
    expect(step(running, { kind: "abandonReload", reason: "late" }, cfg, world).effects).toEqual([]);
  });

  test("stop during the overlap stops both; destroy forgets the service only once both are gone", () => {
    const s = step(overlapping(), { kind: "destroy" }, cfg, world);
    expect(s.machine).toMatchObject({ state: "stopping", older: { pid: 42, retiring: true } });
    expect(kinds(s.effects)).toEqual(["cancel:startwait", "arm:stopwait", "signal", "signalOlder", "arm:retire"]);
    const newGone = step(s.machine, { kind: "exited", pid: 43, code: null, signal: 15 }, cfg, world);
    expect(newGone.machine.state).toBe("stopped");
    expect(kinds(newGone.effects)).not.toContain("forget");
    const oldGone = step(newGone.machine, { kind: "exited", pid: 42, code: null, signal: 15 }, cfg, world);
    expect(kinds(oldGone.effects)).toEqual(["cancel:retire", "reapOlder", "forget", "down"]);
  });

  test("a second reload while the first one's old generation lives is refused", () => {
    const s = step(overlapping(), { kind: "reload" }, cfg, world);
    expect(s.effects).toEqual([{ kind: "refused", message: "the previous generation of s (pid 42) is still serving" }]);
  });
});

/** A controller on a fake clock and spawner, with services a..d sharing a socket. */
function setup() {
  const { clock, spawner, log, execute: run, status } = fakeController();
  for (const n of ["a", "b", "c", "d"]) {
    run(`service ${n} cmd=server`);
    run(`service ${n} tie_stdin_to=web`);
    run(`service ${n} tags=web`);
  }
  run("command start tag web");
  clock.advance(1000);
  /** Run a streaming command; returns its lines and, once ended, its result. */
  const stream = (line: string) => {
    const r = run(line);
    const out = { lines: [...r.body], end: undefined as undefined | { error?: string } };
    if (r.error !== undefined) out.end = { error: r.error };
    r.follow?.({ congested: false, send: (l) => void out.lines.push(...l), end: (error) => void (out.end = { error }) });
    return out;
  };
  return { clock, spawner, status, stream, run, log };
}

describe("the deploy commands", () => {
  test("restart_rolling: one at a time, each once the previous runs", async () => {
    const { clock, status, stream } = setup();
    const before = ["a", "b", "c", "d"].map((n) => status(n).pid);
    const r = stream("command restart_rolling tag web batch=1 pause=0 timeout=30");
    await settle(); // a's stop signal is delivered
    expect(status("a").state).toBe("starting");
    expect(status("b").pid).toBe(before[1]!); // b waits for a
    for (let i = 0; i < 4; i++) {
      clock.advance(1000); // startwait: running; the next one is stopped
      await settle();
    }
    expect(r.end).toEqual({ error: undefined });
    expect(["a", "b", "c", "d"].map((n) => status(n).pid).every((p, i) => p !== before[i])).toBe(true);
    expect(r.lines.filter((l) => / running$/.test(l))).toHaveLength(4);
  });

  test("batch=2 pause=5: two at a time, five seconds between batches", async () => {
    const { clock, status, stream } = setup();
    const before = ["a", "b", "c", "d"].map((n) => status(n).pid);
    const r = stream("command restart_rolling batch=2 pause=5 tag web");
    await settle();
    expect(["a", "b", "c", "d"].map((n) => status(n).state)).toEqual(["starting", "starting", "running", "running"]);
    clock.advance(1000); // a and b running: the pause begins
    await settle();
    expect(r.lines.at(-1)).toBe("pause 5s");
    clock.advance(4900);
    await settle();
    expect(status("c").pid).toBe(before[2]!);
    clock.advance(100); // the pause is over: c and d
    await settle();
    expect(["c", "d"].map((n) => status(n).state)).toEqual(["starting", "starting"]);
    clock.advance(1000);
    await settle();
    expect(r.end).toEqual({ error: undefined });
  });

  test("reload whose new generation is late: abandoned at the timeout, the old one serves on", async () => {
    const { clock, spawner, status, stream, run } = setup();
    run("service a startwait_secs=30");
    const old = status("a").pid!;
    const r = stream("command reload timeout=2 service a");
    const fresh = spawner.last.pid;
    expect(status("a")).toMatchObject({ state: "starting", pid: fresh, old_pid: old });
    clock.advance(2000);
    await settle();
    expect(r.end?.error).toMatch(/^a: reload failed \(a not running within 2s\); pid \d+ keeps running; roll 1 stopped, 0 of 1 replaced, not replaced: a$/);
    expect(status("a")).toMatchObject({ state: "running", pid: old });
    expect(spawner.procs.find((p) => p.pid === fresh)!.exited).toBe(true);
    expect(status("a").old_pid).toBeUndefined();
  });

  test("a roll nobody follows (a statement of a -c file) runs all the same, and the log has its progress", async () => {
    const { clock, status, run, log } = setup();
    const before = ["a", "b"].map((n) => status(n).pid);
    expect(run("command restart_rolling service a service b").error).toBeUndefined();
    await settle();
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await settle();
    }
    expect(["a", "b"].map((n) => status(n).pid).every((p, i) => p !== before[i])).toBe(true);
    expect(run("command rolls").body).toEqual([]);
    expect(log.events).toContain("info roll 1: done, 2 replaced in 2.0s");
  });

  test("bad options and selectors are refused before anything moves", () => {
    const { run } = setup();
    expect(run("command restart_rolling batch=0 tag web").error).toBe("batch must be a whole number of services, 1 or more");
    expect(run("command restart_rolling timeout=x tag web").error).toBe("timeout must be a number of seconds above 0");
    expect(run("command reload batch=2 tag web").error).toBe("usage: reload [timeout=SECS] SELECTOR...");
    expect(run("command restart_rolling").error).toBe("usage: restart_rolling [batch=N] [pause=SECS] [timeout=SECS] SELECTOR...");
    expect(run("command restart_rolling tag nothing").error).toBe("Couldn't find a valid service. bailing.");
  });
});
