/**
 * Issue 8 acceptance 1: at least 100,000 random and malformed lines over many
 * connections; after every batch a fresh connection still gets its version.
 * Nothing generated can start, restart or shut anything down.
 */
import { expect, test } from "bun:test";
import { DaemonProcess } from "../harness.ts";
import { generator } from "./fuzz-gen.ts";

test("100,000 hostile lines over many connections never hurt the daemon", async () => {
  await using d = await DaemonProcess.start();
  const next = generator(20261126);
  const BATCHES = 20;
  const CONNS = 10;
  const PER_CONN = 500; // 20 × 10 × 500 = 100,000 lines
  let lines = 0;
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    await Promise.all(
      Array.from({ length: CONNS }, async () => {
        await using c = await d.client();
        const batch = Array.from({ length: PER_CONN }, next);
        c.send(Buffer.concat(batch.flatMap((l) => [l, Buffer.from("\n")])));
        for (let i = 0; i < PER_CONN; i++) {
          const r = await c.next(10000);
          expect(r.error === undefined || r.error.length > 0).toBe(true);
        }
        lines += PER_CONN;
      }),
    );
    // extras: a huge line, a half line, an abrupt disconnect
    const huge = await d.client();
    huge.send("service fz1 desc=" + "y".repeat(70_000) + "\n");
    expect((await huge.next()).error).toBe("line too long");
    const half = await d.client();
    half.send("service fz2 cmd=sle");
    await half[Symbol.asyncDispose]();
    const fresh = await d.client();
    expect(await fresh.ok("command version")).toHaveLength(1);
    await fresh[Symbol.asyncDispose]();
    expect(d.proc.exitCode).toBeNull();
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`fuzz: ${lines} lines in ${secs.toFixed(2)} s = ${Math.round(lines / secs)} lines/s`);
  expect(lines).toBeGreaterThanOrEqual(100_000);
  // nothing it declared was ever started
  const st = await d.ok("command status");
  expect(st.every((l) => l.split("\t")[1] === "stopped")).toBe(true);
}, 120_000);
