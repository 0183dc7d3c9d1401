/**
 * A proxy relaying output faster than the log can be written is slowed by
 * its log pipe; the daemon's memory stays bounded and no line is lost.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, FIXTURES, tempDir, rssMiB } from "../harness.ts";
import { slowLog, waitUntilStuck } from "../logging/slow-log.ts";

test("a proxy flooding its log pipe waits for the log", async () => {
  using dir = tempDir();
  using log = slowLog(dir.path);
  await using d = await DaemonProcess.start({ args: ["-l", log.config] });
  const n = 300_000; // ~30 MB
  const progress = join(dir.path, "progress");
  await d.ok(`proxy fp cmd=["python3","${join(FIXTURES, "proxy/flood-proxy.py")}","${n}","${progress}"]`);
  await d.ok("proxy fp service p1 cmd=anything");
  await d.ok("command start service p1");
  expect(await waitUntilStuck(progress)).toBeLessThan(n);
  expect(rssMiB(d.pid)).toBeLessThan(150);
  expect((await d.ok("command version"))[0]).toBeDefined();
  // now the log drains: every line arrives, the last one included
  const out = await log.readUntil(`service.p1.out ${String(n - 1).padStart(18, "0")}`, 30_000);
  expect(out.split("\n").filter((l) => l.startsWith("service.p1.out "))).toHaveLength(n);
}, 60_000);
