/**
 * Issue 12, defect 6: a stopped (SIGSTOP) service still runs its TERM
 * handler when asked to stop: cfkd sends SIGCONT after the stop signal.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, procStat, tempDir, waitFor } from "../harness.ts";

test("a SIGSTOPped service runs its TERM handler on stop, long before stopwait", async () => {
  using dir = tempDir();
  const marker = join(dir.path, "got-term");
  await using d = await DaemonProcess.start();
  const armed = join(dir.path, "armed");
  // the trap is in place before the test stops it (a shell not yet at `trap` would just die)
  const script = `trap 'echo term > ${marker}; exit 0' TERM; : > ${armed}; while :; do sleep 0.1; done`;
  await d.ok(`service s cmd=${JSON.stringify(["/bin/sh", "-c", script])}`);
  await d.ok("service s stopwait_secs=20");
  await d.ok("command start service s");
  const pid = Number(await waitFor(async () => (await d.status("s"))[2] || null, "the pid"));
  await waitFor(() => existsSync(armed), "the TERM trap to be set");
  process.kill(-pid, "SIGSTOP");
  await waitFor(() => procStat(pid)?.state === "T", "the service to be stopped");
  const t0 = Date.now();
  await d.ok("command stop service s");
  await waitFor(async () => (await d.status("s"))[1] === "stopped", "the service to stop", 10_000);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(existsSync(marker) && readFileSync(marker, "utf8").trim()).toBe("term");
  expect(readFileSync(join(d.home, "cfkd.log"), "utf8")).not.toContain("killing");
});
