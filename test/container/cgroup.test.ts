/**
 * The cgroup v2 module against the real kernel (root, a writable cgroup2):
 * finding the mount, placing a child at its birth, CPU time from cpu.stat,
 * cgroup.kill and the populated-0 wait.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cgroup2Mount, cgroupPids, cgroupUsage, inCgroup, killCgroup, makeCgroup, removeCgroup, setupCgroups, waitEmpty } from "../../src/daemon/os/cgroup.ts";

test("the cgroup2 mount is found in mountinfo, on a hybrid host too, escapes decoded", () => {
  const hybrid = [
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  ].join("\n");
  expect(cgroup2Mount(hybrid)).toEqual({ point: "/sys/fs/cgroup/unified", root: "/" });
  expect(cgroup2Mount("29 1 0:26 /docker/abc /sys/fs/cgroup\\040x ro,nosuid shared:4 - cgroup2 cgroup2 ro")).toEqual({ point: "/sys/fs/cgroup x", root: "/docker/abc" });
  expect(cgroup2Mount("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw")).toBeNull();
});

const root = process.getuid?.() === 0 ? setupCgroups(process.pid) : "not root";

test.skipIf(typeof root === "string")("a child born in its cgroup; its CPU time; cgroup.kill; populated 0", async () => {
  const dir = join((root as { dir: string }).dir, "t.service");
  expect(makeCgroup(dir)).toBeNull();
  const child = inCgroup(dir, () => Bun.spawn(["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; (setsid sleep 1000 &); exec sleep 1000"]));
  // born there: no window in which it ran elsewhere; and the test runner went back home
  expect(readFileSync(`/proc/${child.pid}/cgroup`, "utf8")).toContain("/t.service");
  expect(readFileSync("/proc/self/cgroup", "utf8")).not.toContain("t.service");
  const deadline = Date.now() + 10000;
  while (cgroupPids(dir).length < 2 && Date.now() < deadline) await Bun.sleep(20);
  expect(cgroupPids(dir).length).toBe(2); // the sleep and its setsid'ed sibling
  expect(cgroupUsage(dir).cpuUsec).toBeGreaterThan(0);
  killCgroup(dir);
  expect(await waitEmpty(dir, 5000)).toBe(true);
  await child.exited;
  expect(removeCgroup(dir)).toBe(true);
  expect(removeCgroup((root as { dir: string }).dir)).toBe(true);
});
