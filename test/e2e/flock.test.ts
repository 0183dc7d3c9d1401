/**
 * Issue 12, defect 4: the home's lock is flock(2), not the pid in the file.
 * A lock file naming a live unrelated process, or a zombie, does not stop
 * cfkd; a running cfkd still keeps a second one out; the kernel releases the
 * lock when cfkd is killed, even while its services (which must not inherit
 * the lock) live on.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CFKD, DaemonProcess, childrenOf, procStat, tempDir, waitFor } from "../harness.ts";

async function withLockNaming(pid: number) {
  using dir = tempDir();
  const home = join(dir.path, "h");
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, "lock"), `${pid}\n`);
  await using d = await DaemonProcess.start({ home });
  expect(readFileSync(join(home, "lock"), "utf8").trim()).toBe(String(d.pid));
}

test("a lock file naming a live process that is not cfkd does not block start-up", async () => {
  const other = Bun.spawn(["sleep", "100"]);
  try {
    await withLockNaming(other.pid);
  } finally {
    other.kill("SIGKILL");
  }
});

test("nor one naming a zombie", async () => {
  // sh's child `sleep 0` exits; the exec'd `sleep 100` never reaps it
  const parent = Bun.spawn(["sh", "-c", "sleep 0 & exec sleep 100"]);
  try {
    const zombie = await waitFor(() => childrenOf(parent.pid).find((p) => procStat(p)?.state === "Z"), "a zombie");
    await withLockNaming(zombie);
  } finally {
    parent.kill("SIGKILL");
  }
});

test("a running cfkd keeps a second out; killed, its lock goes with it though its services live on", async () => {
  await using d = await DaemonProcess.start();
  const second = Bun.spawnSync([BUN, CFKD, "--home", d.home, "-a", join(d.home, "sock2")], { stderr: "pipe" });
  expect(second.exitCode).toBe(1);
  expect(second.stderr.toString()).toContain(`cfkd is already running on ${d.home} with pid ${d.pid}`);
  await d.ok("service s cmd=sleep 100");
  await d.ok("command start service s");
  const svc = Number(await waitFor(async () => (await d.status("s"))[2] || null, "the service's pid"));
  try {
    d.proc.kill("SIGKILL");
    await d.proc.exited;
    expect(procStat(svc)).not.toBeNull(); // still running, and not holding the lock
    await using again = await DaemonProcess.start({ home: d.home });
    expect(readFileSync(join(d.home, "lock"), "utf8").trim()).toBe(String(again.pid));
  } finally {
    process.kill(-svc, "SIGKILL");
  }
});
