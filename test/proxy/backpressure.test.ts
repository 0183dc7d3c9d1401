/**
 * A proxy relaying output faster than the log can be written is slowed by
 * its log pipe; the daemon's memory stays bounded and no line is lost.
 */
import { expect, test } from "bun:test";
import { constants, openSync, readFileSync, readSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, FIXTURES, tempDir, waitFor } from "../harness.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/daemon/logging/defaults.ts";

test("a proxy flooding its log pipe waits for the log", async () => {
  using dir = tempDir();
  const fifo = join(dir.path, "slow.fifo");
  Bun.spawnSync(["mkfifo", fifo]);
  const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK); // a reader that does not read yet
  const cfg = join(dir.path, "fifo.config");
  writeFileSync(cfg, DEFAULT_LOG_CONFIG.replace("${CFKD_HOME}/cfkd.log", fifo).replace("%S %p %L %c - %m%n", "%c %m%n"));
  await using d = await DaemonProcess.start({ args: ["-l", cfg] });
  const n = 300_000; // ~30 MB
  const progress = join(dir.path, "progress");
  await d.ok(`proxy fp cmd=["python3","${join(FIXTURES, "proxy/flood-proxy.py")}","${n}","${progress}"]`);
  await d.ok("proxy fp service p1 cmd=anything");
  await d.ok("command start service p1");
  let last = -1;
  await waitFor(
    () => {
      const p = Number((existsSync(progress) && readFileSync(progress, "utf8")) || 0);
      const stuck = p === last && p > 0;
      last = p;
      return stuck;
    },
    "the proxy to block on its log pipe",
    15_000,
    300,
  );
  expect(last).toBeLessThan(n);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.pid}/status`, "utf8"))![1]) / 1024;
  expect(rss).toBeLessThan(150);
  expect((await d.ok("command version"))[0]).toBeDefined();
  // now read the log: everything arrives, the last line included
  const lastId = String(n - 1).padStart(18, "0");
  const buf = Buffer.alloc(1 << 20);
  let tailText = "";
  await waitFor(
    () => {
      for (;;) {
        let got = 0;
        try {
          got = readSync(rd, buf);
        } catch (e) {
          if ((e as { code?: string }).code !== "EAGAIN") throw e;
        }
        if (got <= 0) break;
        tailText = (tailText + buf.toString("latin1", 0, got)).slice(-4096);
      }
      return tailText.includes(`service.p1.out ${lastId}`);
    },
    "the last relayed line",
    30_000,
  );
}, 60_000);
