/**
 * The crash-loop policy and the hooks' queue, in process, on a fake clock
 * and a fake spawner: the timeline of a service that dies right after it
 * became running, the fatal retry, `down` and `destroy` cancelling it, and
 * one hook at a time per service with a timeout — without waiting.
 */
import { expect, test } from "bun:test";
import { Hooks } from "../../src/daemon/hooks.ts";
import { infoFromWire } from "../../src/protocol/status.ts";
import { SIGKILL } from "../../src/daemon/os/signals.ts";
import { settle } from "./fakes.ts";
import { fakeController } from "./machine-helpers.ts";

function setup() {
  const { clock, spawner, log, c, run, status } = fakeController();
  const details = (name: string) => infoFromWire(run(`command info service ${name}`)[0]!)!;
  return { clock, spawner, log, c, run, status, details };
}

/** The service's process dies (exit 1) `ms` after it became running. */
async function crashAfterRunning(t: ReturnType<typeof setup>, ms: number): Promise<void> {
  t.clock.advance(1000); // startwait_secs=1: running
  expect(t.status("s").state).toBe("running");
  t.clock.advance(ms);
  t.spawner.last.exit(1, null);
  await settle();
}

test("a crash 50 ms after running: at once, then backoff, then fatal '5 restarts in M s'; fatal_retry_secs brings it back", async () => {
  const t = setup();
  t.run("service s cmd=sleep 100");
  t.run("service s fatal_retry_secs=2");
  t.run("command start service s");
  const t0 = t.clock.now;
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    await crashAfterRunning(t, 50);
    const st = t.status("s").state;
    seen.push(st);
    if (st === "backoff") {
      const d = t.details("s");
      expect(d.next_attempt_at).toBe((t.clock.now + 300) / 1000); // random 0: k = 1
      expect([d.attempt, d.max_attempts]).toEqual([d.restarts + 1, 5]);
      t.clock.next();
    }
  }
  expect(seen).toEqual(["starting", "backoff", "backoff", "backoff", "backoff", "fatal"]);
  // from the first restart (the first crash, at 1.05 s) to the sixth crash (at 7.5 s)
  expect(t.status("s").fail_reason).toBe("5 restarts in 6.5 s");
  expect(t.spawner.procs).toHaveLength(6);
  // 6 starts in 6 × 1.05 s + 4 × 0.3 s: the loop is bounded, not tight
  expect(t.clock.now - t0).toBe(6 * 1050 + 4 * 300);
  expect(t.details("s")).toMatchObject({ restarts: 5, consecutive_failures: 6, next_attempt_at: (t.clock.now + 2000) / 1000 });
  t.clock.advance(1999);
  expect(t.spawner.procs).toHaveLength(6);
  t.clock.advance(1);
  expect(t.status("s").state).toBe("starting");
  expect(t.spawner.procs).toHaveLength(7);
  expect(t.details("s")).toMatchObject({ restarts: 6, consecutive_failures: 0, next_attempt_at: null });
});

test("down, destroy and shutdown cancel a fatal retry", async () => {
  const t = setup();
  t.run("service s cmd=sleep 100");
  t.run("service s fatal_retry_secs=2");
  t.run("service s max_restarts=1");
  t.run("command start service s");
  await crashAfterRunning(t, 50); // restart 1, at once
  await crashAfterRunning(t, 50); // over the bound: fatal
  expect(t.status("s").state).toBe("fatal");
  expect(t.run("command down service s")).toEqual(["done 1"]);
  expect(t.status("s").state).toBe("stopped");
  t.clock.advance(10_000);
  expect(t.spawner.procs).toHaveLength(2);

  t.run("command start service s");
  await crashAfterRunning(t, 50);
  await crashAfterRunning(t, 50);
  expect(t.status("s").state).toBe("fatal");
  t.run("command destroy service s");
  expect(t.run("command list")).toEqual([]);
  t.clock.advance(10_000);
  expect(t.spawner.procs).toHaveLength(4);
});

test("hooks: one at a time per service, the rest queued in order, a hanging one killed at its timeout", async () => {
  const t = setup();
  const hooks = new Hooks(t.c.changes, {
    spawner: t.spawner.spawn,
    signals: t.spawner.signals,
    clock: t.clock,
    log: t.log,
    env: {},
    cwd: "/",
    daemonHook: null,
    service: (name) => {
      const p = t.c.registry.service(name)?.props;
      return p ? { cmd: p.on_change, timeoutMs: p.on_change_timeout_secs * 1000 } : null;
    },
  });
  t.run("service s cmd=sleep 100");
  t.run("service s on_change=hang");
  t.run("service s on_change_timeout_secs=5");
  t.run("command start service s"); // stopped → starting: the first hook
  t.clock.advance(1000); // starting → running: queued behind it
  const hookProcs = () => t.spawner.procs.filter((p) => p.req.argv[2] === "hang");
  expect(hookProcs()).toHaveLength(1);
  expect(hookProcs()[0]!.req.env).toMatchObject({ CFK_EVENT_SERVICE: "s", CFK_EVENT_FROM: "stopped", CFK_EVENT_TO: "starting", CFK_EVENT_PID: "" });
  expect(hooks.running).toBe(1);
  t.clock.advance(4000); // 5 s after it started: killed, its group with it
  await settle();
  expect(t.spawner.sent).toContainEqual([-hookProcs()[0]!.pid, SIGKILL]);
  expect(t.log.events).toContain("warn on_change hook of s: killed after on_change_timeout_secs=5");
  expect(hookProcs()).toHaveLength(2);
  expect(hookProcs()[1]!.req.env).toMatchObject({ CFK_EVENT_FROM: "starting", CFK_EVENT_TO: "running" });
  t.clock.advance(5000);
  await settle();
  expect(hooks.running).toBe(0); // nothing left waiting
});
