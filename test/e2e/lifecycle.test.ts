/**
 * Issue 2 acceptance 2–4: respawn, fail reasons, backoff → fatal, SIGKILL
 * escalation, process groups. Each test drives the real daemon.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, daemonPerFile, FIXTURES, alive, groupMembers, waitFor } from "../harness.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

const state = async (name: string) => (await d.status(name))[1];
const waitState = (name: string, want: string, ms = 5000) =>
  waitFor(async () => {
    const s = await d.status(name);
    return s[1] === want ? s : null;
  }, `${name} to be ${want}`, ms);


describe("death and respawn", () => {
  test("kill -9 of the real program brings it back with a new pid", async () => {
    await d.ok("service k1 cmd=sleep 100");
    await d.ok("service k1 startwait_secs=0.2");
    await d.ok("command start service k1");
    const [, , pid1] = await waitState("k1", "running");
    // the pid is sleep's own, not a shell's
    expect(readFileSync(`/proc/${pid1}/comm`, "utf8").trim()).toBe("sleep");
    process.kill(Number(pid1), "SIGKILL");
    const s = await waitFor(async () => {
      const s = await d.status("k1");
      return s[2] !== "" && s[2] !== pid1 ? s : null;
    }, "a new pid");
    expect(["starting", "running"]).toContain(s[1]!);
    expect(alive(Number(s[2]))).toBe(true);
  });

  test("respawn_on_fail=0 leaves it in fail with 'Received signal 9'", async () => {
    await d.ok("service k2 cmd=sleep 100");
    await d.ok("service k2 respawn_on_fail=0");
    await d.ok("command start service k2");
    const [, , pid] = await waitFor(async () => ((await d.status("k2"))[2] ? d.status("k2") : null), "k2 pid");
    process.kill(Number(pid), "SIGKILL");
    const s = await waitState("k2", "fail");
    expect(s[6]).toBe("Received signal 9");
    expect(s[2]).toBe("");
  });

  test("exit 3 gives 'Exited with error 3'", async () => {
    await d.ok("service k3 cmd=sh -c 'exit 3'");
    await d.ok("service k3 respawn_on_fail=off");
    await d.ok("command start service k3");
    const s = await waitState("k3", "fail");
    expect(s[6]).toBe("Exited with error 3");
  });
});

describe("backoff", () => {
  test("a command that fails during startwait backs off, retries, then is fatal", async () => {
    await d.ok("service b1 cmd=false");
    await d.ok("service b1 respawn_max_retries=3");
    await d.ok("command start service b1");
    const seen = new Set<string>();
    const s = await waitFor(async () => {
      const s = await d.status("b1");
      seen.add(s[1]!);
      return s[1] === "fatal" ? s : null;
    }, "b1 fatal", 8000, 5);
    expect(seen.has("backoff")).toBe(true);
    expect(s[6]).toBe("Exited with error 1");
  });

  test("stop during backoff cancels the retry", async () => {
    await d.ok("service b2 cmd=false");
    await d.ok("command start service b2");
    await waitState("b2", "backoff", 3000);
    expect(await d.ok("command stop service b2")).toEqual(["done 1"]);
    expect(await state("b2")).toBe("stopped");
    // the retry would have come within 0.3 s (first failure: k = 1); watch well past it
    const until = Date.now() + 900;
    while (Date.now() < until) {
      expect(await state("b2")).toBe("stopped");
      await Bun.sleep(50);
    }
  });
});

describe("stopping", () => {
  test("a service that ignores SIGTERM is SIGKILLed after stopwait_secs and ends in fail", async () => {
    await d.ok(`service t1 cmd=${join(FIXTURES, "ignore-term.sh")}`);
    await d.ok("service t1 stopwait_secs=0.3");
    await d.ok("service t1 startwait_secs=0.1");
    await d.ok("command start service t1");
    const [, , pid] = await waitState("t1", "running");
    await waitFor(() => groupMembers(Number(pid)).length >= 2, "the sleep child");
    const t0 = Date.now();
    expect(await d.ok("command stop service t1")).toEqual(["done 1"]);
    expect(await state("t1")).toBe("stopping");
    const s = await waitState("t1", "fail", 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(s[6]).toStartWith("Received signal 9");
    await waitFor(() => groupMembers(Number(pid)).length === 0, "the whole group gone");
  });

  test("sh -c 'sleep 100; sleep 100' stops with no process left in its group", async () => {
    // a JSON array: the group is exactly this sh and its sleep (a string would add an outer sh)
    await d.ok(`service g1 cmd=["/bin/sh","-c","sleep 100; sleep 100"]`);
    await d.ok("command start service g1");
    const [, , pid] = await waitFor(async () => ((await d.status("g1"))[2] ? d.status("g1") : null), "g1 pid");
    await waitFor(() => groupMembers(Number(pid)).length === 2, "sh and sleep in the group");
    await d.ok("command stop service g1");
    await waitState("g1", "stopped");
    await waitFor(() => groupMembers(Number(pid)).length === 0, "no process left in the group");
  });

  test("a crashed leader takes its leftovers with it", async () => {
    await d.ok(`service g2 cmd=["/bin/sh","-c","sleep 100 & sleep 100"]`);
    await d.ok("service g2 respawn_on_fail=0");
    await d.ok("command start service g2");
    const [, , pid] = await waitFor(async () => ((await d.status("g2"))[2] ? d.status("g2") : null), "g2 pid");
    await waitFor(() => groupMembers(Number(pid)).length === 3, "sh and two sleeps");
    process.kill(Number(pid), "SIGKILL");
    await waitState("g2", "fail");
    await waitFor(() => groupMembers(Number(pid)).length === 0, "no orphan left");
  });

  test("restart works from any state and gives a new process", async () => {
    await d.ok("service r1 cmd=sleep 100");
    await d.ok("service r1 startwait_secs=0.1");
    // from stopped
    expect(await d.ok("command restart service r1")).toEqual(["done 1"]);
    const [, , p1] = await waitState("r1", "running");
    // from running
    expect(await d.ok("command restart service r1")).toEqual(["done 1"]);
    const s = await waitFor(async () => {
      const s = await d.status("r1");
      return s[1] === "running" && s[2] !== p1 ? s : null;
    }, "r1 running again with a new pid");
    expect(alive(Number(p1))).toBe(false);
    // from fail
    await d.ok("service r1 respawn_on_fail=0");
    process.kill(Number(s[2]), "SIGKILL");
    await waitState("r1", "fail");
    await d.ok("command restart service r1");
    await waitState("r1", "running");
  });

  test("destroy brings a service down, then forgets it", async () => {
    await d.ok("service x1 cmd=sleep 100");
    await d.ok("command start service x1");
    const [, , pid] = await waitFor(async () => ((await d.status("x1"))[2] ? d.status("x1") : null), "x1 pid");
    expect(await d.request("command destroy service x1")).toEqual({ body: [] });
    await waitFor(async () => !(await d.ok("command list")).includes("x1"), "x1 forgotten");
    expect(alive(Number(pid))).toBe(false);
  });

  test("up and down are idempotent and not counted", async () => {
    await d.ok("service u1 cmd=sleep 100");
    expect(await d.ok("command up service u1")).toEqual(["done 1"]);
    expect(await d.ok("command up service u1")).toEqual(["done 0"]);
    expect(await d.ok("command down service u1")).toEqual(["done 1"]);
    await waitState("u1", "stopped");
    expect(await d.ok("command down service u1")).toEqual(["done 0"]);
  });
});
