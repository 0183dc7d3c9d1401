/**
 * Issue 12, defect 5: a value holding a newline cannot forge a log record.
 * Every record the daemon composes has its control characters escaped.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, waitFor } from "../harness.ts";
import { escapeControls } from "../../src/daemon/logging/daemonLog.ts";

test("a JSON cmd with a newline in it logs one record, not a forged second one", async () => {
  await using d = await DaemonProcess.start();
  const forged = "FORGED INFO 0 cfkd - root password changed";
  await d.ok(`service x cmd=${JSON.stringify([`/nonexistent\n${forged}\r\x1b[2K`])}`);
  await d.ok("command start service x");
  const log = () => readFileSync(join(d.home, "cfkd.log"), "utf8");
  await waitFor(() => log().includes("FORGED"), "the spawn error to be logged");
  const lines = log().split("\n");
  expect(lines.filter((l) => l.startsWith("FORGED"))).toEqual([]);
  const rec = lines.find((l) => l.includes("FORGED"))!;
  expect(rec).toMatch(/^\S+ \w+ /); // a record of cfkd's own layout
  expect(rec).toContain(`/nonexistent\\n${forged}\\r\\x1b[2K`);
});

test("escapeControls: C0, DEL, C1 and line separators become escapes; the rest stays", () => {
  expect(escapeControls("a\nb\r\tc\x00\x7f\x85\u2028é ✓")).toBe("a\\nb\\r\\tc\\x00\\x7f\\x85\\u2028é ✓");
  expect(escapeControls("plain text: 1.2.3.4:5")).toBe("plain text: 1.2.3.4:5");
});
