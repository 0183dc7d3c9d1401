/**
 * Issue 12, defect 2: at its descriptor limit cfkd stops accepting (no
 * spinning on accept), says so once with the limit, fails a spawn with that
 * reason, and answers the waiting clients once descriptors are free again.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client, DaemonProcess, procStat, waitFor } from "../harness.ts";

test("out of descriptors: no spinning, one log line with the limit, spawn fails with the reason, clients answered later", async () => {
  await using d = await DaemonProcess.start({ prefix: ["prlimit", "--nofile=64:64", "--"] });
  const log = () => readFileSync(join(d.home, "cfkd.log"), "utf8");
  expect(log()).toContain("open files limit: 64");
  await using op = await d.client();
  await op.ok("service s cmd=sleep 100");
  const flood: Client[] = [];
  await waitFor(async () => {
    for (let i = 0; i < 10; i++) flood.push(await d.client());
    return log().includes("out of file descriptors");
  }, "cfkd to run out of descriptors");
  for (let i = 0; i < 20; i++) flood.push(await d.client()); // these wait in the backlog
  const waiting = await d.client();
  waiting.send("command version\n");
  const cpu0 = procStat(d.pid)!.cpuTicks;
  const t0 = Date.now();
  await Bun.sleep(1000); // what is measured here is CPU over time, not a condition to wait for
  const ticks = procStat(d.pid)!.cpuTicks - cpu0;
  expect(ticks / ((Date.now() - t0) / 10)).toBeLessThan(0.2); // under 20 % of a core (it spun at ~100 %)
  expect(log()).toContain("out of file descriptors (limit 64 open files): stopped accepting console connections");
  expect(log().match(/stopped accepting/g)?.length).toBe(1);
  // a spawn fails with the reason
  await op.ok("command start service s");
  const st = await waitFor(async () => {
    const line = (await op.ok("command status service s"))[0]!.split("\t");
    return line[1] === "fail" || line[1] === "backoff" ? line : null;
  }, "the start to fail");
  expect(st[6]).toContain("out of file descriptors (limit 64 open files)");
  await op.ok("command down service s");
  // descriptors come back: the waiting client is answered
  for (const c of flood) await c[Symbol.asyncDispose]();
  const r = await waiting.next(5000);
  expect(r.error).toBeUndefined();
  expect(r.body[0]).toMatch(/^\d/);
  await waiting[Symbol.asyncDispose]();
});
