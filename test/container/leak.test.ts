/**
 * What outlives SIGKILL is reported, never silent: a log line, and
 * `leaked N pids` in the status record (fail_reason: the wire keeps its 8
 * fields) and in cfkctl's human line (after the columns, with the reason). Logic only: a tree that will not
 * empty cannot be made on purpose with real processes, so the Trees seam is
 * a fake here (the real trees are tested in stop.test.ts).
 */
import { expect, test } from "bun:test";
import { Service } from "../../src/daemon/service/service.ts";
import { defaultProps } from "../../src/daemon/service/props.ts";
import type { Trees } from "../../src/daemon/os/trees.ts";
import { statusFromWire } from "../../src/protocol/status.ts";
import { statusLine } from "../../src/cli/render.ts";
import { waitFor } from "../harness.ts";
import { FakeClock, FakeSpawner, fakeLog } from "../daemon/fakes.ts";

test("a tree that does not empty after SIGKILL: the service settles, and says 'leaked N pids'", async () => {
  const clock = new FakeClock();
  const spawner = new FakeSpawner(clock);
  const log = fakeLog();
  let kills = 0;
  const trees: Trees = {
    mode: "cgroup",
    detail: "fake",
    placement: () => "/fake/w.service",
    members: () => [5001, 5002],
    signal() {},
    kill: () => void kills++,
    waitEmpty: async () => false,
    usage: () => null,
    release() {},
    releaseAll() {},
  };
  const svc = new Service("w", {
    spawner: spawner.spawn,
    signals: spawner.signals,
    clock,
    log,
    random: () => 0.5,
    prepare: () => ({ argv: ["x"], env: {}, newSession: true, stdin: "ignore", stdout: "ignore", stderr: "ignore" }),
    onDown() {},
    onForget() {},
    onChange() {},
    trees,
  });
  svc.props = { ...defaultProps(), cmd: "x", respawn_on_fail: false };
  svc.dispatch({ kind: "start" });
  expect(spawner.last.req.cgroup).toBe("/fake/w.service");
  spawner.last.exit(1, null); // the leader died on its own: the rest is SIGKILLed at once
  expect(kills).toBe(1);
  expect(svc.state).toBe("starting"); // not down while the tree is not empty
  await waitFor(() => svc.state === "fail" || null, "the service to settle");
  const wire = statusFromWire(svc.statusLine());
  expect(wire.fail_reason).toBe("Exited with error 1; leaked 2 pids");
  expect(svc.statusLine().split("\t").length).toBe(8);
  expect(log.events).toContain("error w: leaked 2 pids that outlived SIGKILL: 5001 5002");
  expect(statusLine(wire, { nowMs: clock.nowMs(), offset: (() => 0) as never }, false)).toEndWith("  Exited with error 1; leaked 2 pids");
});
