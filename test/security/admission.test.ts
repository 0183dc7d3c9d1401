/**
 * Issue 12, defect 1: strangers on the TCP console. Idle connections that
 * never authenticate cannot lock the operator out and are closed at the
 * deadline; a few wrong tokens close the connection; wrong tokens cost the
 * log one line, not one each.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, DaemonProcess, tempDir, waitFor } from "../harness.ts";
import { RateLimitedLog } from "../../src/daemon/admission.ts";
import type { DaemonLog } from "../../src/daemon/logging/types.ts";

async function guarded(dir: string, args: string[] = []) {
  const tf = join(dir, "token");
  writeFileSync(tf, "s3cret\n", { mode: 0o600 });
  return DaemonProcess.start({ tcp: true, args: ["--auth-token-file", tf, "--max-connections", "3", ...args] });
}

test("idle strangers never take the operator's slots, and are closed at the deadline", async () => {
  using dir = tempDir();
  await using d = await guarded(dir.path, ["--auth-timeout", "1", "--max-unauthenticated", "5"]);
  const idle: Client[] = [];
  for (let i = 0; i < 12; i++) idle.push(await d.client());
  const t0 = Date.now();
  await using op = await d.client();
  expect(await op.request("auth s3cret")).toEqual({ body: [] });
  expect(await op.request("command list")).toEqual({ body: [] });
  // the flood beyond the cap was closed at once (oldest first), the rest at the deadline
  await waitFor(() => idle.every((c) => c.closed), "every idle stranger to be closed", 4000);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(op.closed).toBe(false);
  expect(await op.request("command list")).toEqual({ body: [] });
  for (const c of idle) await c[Symbol.asyncDispose]();
  const log = readFileSync(join(d.home, "cfkd.log"), "utf8");
  expect(log.match(/no auth within 1s/g)?.length).toBe(1); // the first; the others are counted
  expect(log.match(/closed the oldest/g)?.length).toBe(1);
});

test("three wrong tokens close the connection; a flood of them costs the log one line", async () => {
  using dir = tempDir();
  await using d = await guarded(dir.path);
  const size0 = readFileSync(join(d.home, "cfkd.log")).length;
  await using c = await d.client();
  for (let i = 0; i < 3; i++) expect(await c.request(`auth wrong${i}`)).toEqual({ body: [], error: "not authorized" });
  await waitFor(() => c.closed, "the connection to close after 3 wrong tokens");
  for (let k = 0; k < 20; k++) {
    await using x = await d.client();
    x.send("auth nope\nauth nope\nauth nope\n");
    await waitFor(() => x.closed, "a guesser to be cut off");
    await using y = await d.client(); // a stranger's goodbye costs no record either
    y.send("exit\n");
    await waitFor(() => y.closed, "a stranger's exit");
  }
  await using op = await d.client();
  expect(await op.request("auth s3cret")).toEqual({ body: [] });
  const log = readFileSync(join(d.home, "cfkd.log"), "utf8");
  expect(log.match(/failed auth/g)?.length).toBe(1);
  expect(log).not.toContain("Console exiting");
  expect(log.length - size0).toBeLessThan(1000);
});

test("a rate-limited log writes the first event, then one count per interval", async () => {
  const lines: string[] = [];
  const log = { event: (_l: string, m: string) => lines.push(m) } as unknown as DaemonLog;
  const r = new RateLimitedLog(log, 50);
  for (let i = 0; i < 10; i++) r.note("k", "warn", `first ${i}`, (n) => `${n} more`);
  expect(lines).toEqual(["first 0"]);
  await waitFor(() => lines.length === 2, "the count");
  expect(lines[1]).toBe("9 more");
  await Bun.sleep(120); // two quiet intervals: the kind is forgotten, and nothing more is written
  expect(lines.length).toBe(2);
  r.note("k", "warn", "again", (n) => `${n} more`);
  expect(lines.at(-1)).toBe("again");
  r.close();
});
