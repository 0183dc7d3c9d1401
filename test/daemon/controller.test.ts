/**
 * The controller and a service's runner, in process, with a fake spawner
 * and a fake clock: backoff delays, fatal, startwait and stopwait
 * escalation are checked on the clock, without waiting in real time.
 */
import { expect, test } from "bun:test";
import { SIGCONT, SIGKILL, SIGTERM } from "../../src/daemon/os/signals.ts";
import { settle } from "./fakes.ts";
import { fakeController } from "./machine-helpers.ts";

const setup = fakeController;

test("failed starts back off k × 0.3 s (k in 1..2n−1), then fatal after respawn_max_retries", async () => {
  const draws = [0, 0.5, 0.999, 0.25];
  let i = 0;
  const { clock, spawner, run, status } = setup(() => draws[i++ % draws.length]!);
  run('service s cmd = ["sh", "-c", "exit 3"]');
  run("service s startwait_secs = 1");
  run("service s respawn_max_retries = 4");
  run("command start service s");
  const delays: number[] = [];
  for (let n = 1; n < 4; n++) {
    await settle(); // the exit arrives
    expect(status("s").state).toBe("backoff");
    expect(status("s").fail_reason).toBe("Exited with error 3");
    const failedAt = clock.now;
    const before = spawner.procs.length;
    expect(clock.next()).toBe(true); // the backoff timer
    expect(spawner.procs.length).toBe(before + 1);
    const ms = spawner.last.at - failedAt;
    delays.push(ms);
    const k = ms / 300;
    expect(Number.isInteger(k)).toBe(true);
    expect(k).toBeGreaterThanOrEqual(1);
    expect(k).toBeLessThanOrEqual(2 * n - 1);
  }
  // draws 0, 0.5, 0.999 with n = 1, 2, 3 → k = 1, 2, 5
  expect(delays).toEqual([300, 600, 1500]);
  await settle();
  expect(status("s").state).toBe("fatal");
  expect(spawner.procs).toHaveLength(4);
  // nothing is armed any more: fatal waits for the operator
  clock.advance(60_000);
  expect(spawner.procs).toHaveLength(4);
});

test("startwait: starting until startwait_secs have passed on the clock, then running", async () => {
  const { clock, spawner, run, status } = setup();
  run("service s cmd = server");
  run("service s startwait_secs = 2");
  run("command start service s");
  expect(status("s")).toMatchObject({ state: "starting", pid: spawner.last.pid });
  clock.advance(1999);
  expect(status("s").state).toBe("starting");
  clock.advance(1);
  expect(status("s").state).toBe("running");
  // a running service that dies is respawned at once, not backed off
  spawner.last.exit(1, null);
  expect(status("s")).toMatchObject({ state: "starting", pid: spawner.procs[1]!.pid });
});

test("stopwait: a process that ignores its stop signal gets SIGKILL (to its group) after stopwait_secs", async () => {
  const { clock, spawner, run, status } = setup();
  spawner.ignore = [SIGTERM];
  run("service s cmd = stubborn");
  run("service s stopwait_secs = 3");
  run("command start service s");
  clock.advance(3000); // startwait (default 3 s) → running
  const pid = spawner.last.pid;
  run("command stop service s");
  await settle();
  expect(spawner.sent).toEqual([[-pid, SIGTERM], [-pid, SIGCONT]]); // continued, in case it was stopped
  expect(status("s").state).toBe("stopping");
  clock.advance(2999);
  await settle();
  expect(status("s").state).toBe("stopping");
  clock.advance(1);
  expect(spawner.sent.at(-1)).toEqual([-pid, SIGKILL]);
  await settle();
  expect(status("s")).toMatchObject({ state: "fail", fail_reason: "Received signal 9 (did not stop within stopwait_secs=3)" });
});

test("destroy of a running service forgets it once its process is gone", async () => {
  const { clock, spawner, run, log } = setup();
  run("service s cmd = server");
  run("command start service s");
  clock.advance(3000);
  run("command destroy service s");
  expect(run("command list")).toEqual(["s"]); // still stopping
  await settle();
  expect(run("command list")).toEqual([]);
  expect(log.events).toContain("info Destroying service 's'");
  expect(spawner.sent[0]).toEqual([-spawner.last.pid, SIGTERM]);
});

test("shutdown waits on the clock: the longest stopwait_secs plus a second, then gives up", async () => {
  const { clock, spawner, run, c } = setup();
  spawner.ignore = [SIGTERM, SIGKILL]; // a process stuck in the kernel: only the deadline ends the wait
  run("service s cmd = stubborn");
  run("service s stopwait_secs = 2");
  run("command start service s");
  let done = false;
  const p = c.registry.shutdown().then(() => (done = true));
  await settle();
  clock.advance(2999);
  await settle();
  expect(done).toBe(false);
  clock.advance(1);
  await p;
  expect(done).toBe(true);
});
