/**
 * Issue 16 acceptance 4: on_change hooks against a real cfkd — each event
 * written to a file, in order, with the CFK_EVENT_* variables; cfkd's
 * --on-change for services without their own; a hook that hangs is killed
 * at its timeout and cfkd keeps serving; a failing hook is logged and
 * changes nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, alive, childrenOf, tempDir, waitFor } from "../harness.ts";

const dir = tempDir("cfk-hooks-");
const daemonWide = join(dir.path, "daemon-wide.txt");
let d: DaemonProcess;
beforeAll(async () => {
  d = await DaemonProcess.start({ args: ["--on-change", `echo "$CFK_EVENT_SERVICE $CFK_EVENT_TO" >> ${daemonWide}`] });
});
afterAll(async () => {
  await d?.[Symbol.asyncDispose]();
  dir[Symbol.dispose]();
});

const lines = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").trimEnd().split("\n") : []);
const log = () => readFileSync(join(d.home, "cfkd.log"), "utf8");
const state = async (name: string) => (await d.status(name))[1];

test("an on_change hook writes each event, in order, with the change in its environment", async () => {
  const out = join(dir.path, "h1.txt");
  await d.ok("service h1 cmd=sleep 100");
  await d.ok("service h1 startwait_secs=0.1");
  await d.ok(`service h1 on_change=echo "$CFK_EVENT_SERVICE $CFK_EVENT_FROM $CFK_EVENT_TO pid=$CFK_EVENT_PID reason=$CFK_EVENT_REASON"; echo "$CFK_EVENT_SERVICE $CFK_EVENT_FROM $CFK_EVENT_TO pid=$CFK_EVENT_PID reason=$CFK_EVENT_REASON" >> ${out}`);
  await d.ok("command start service h1");
  await waitFor(async () => ((await state("h1")) === "running" ? true : null), "h1 running");
  const pid = (await d.status("h1"))[2];
  await d.ok("command stop service h1");
  await waitFor(() => (lines(out).length === 4 ? true : null), "four hook runs", 5000);
  expect(lines(out)).toEqual([
    "h1 stopped starting pid= reason=",
    `h1 starting running pid=${pid} reason=`,
    `h1 running stopping pid=${pid} reason=`,
    `h1 stopping stopped pid=${pid} reason=`,
  ]);
  // its stdout is logged; the daemon-wide hook did not run for h1
  await waitFor(() => (log().includes(`on_change hook of h1: h1 stopping stopped pid=${pid} reason=`) ? true : null), "the hook's output in the log");
  expect(lines(daemonWide).filter((l) => l.startsWith("h1 "))).toEqual([]);
});

test("cfkd --on-change runs for services without their own hook", async () => {
  await d.ok("service h2 cmd=false");
  await d.ok("service h2 respawn_on_fail=0");
  await d.ok("command start service h2");
  await waitFor(() => (lines(daemonWide).includes("h2 fail") ? true : null), "the daemon-wide hook");
  expect(lines(daemonWide).filter((l) => l.startsWith("h2 "))).toEqual(["h2 starting", "h2 fail"]);
});

test("a hook that hangs is killed at its timeout; cfkd keeps serving; a failing hook changes nothing", async () => {
  await d.ok("service h3 cmd=sleep 100");
  await d.ok("service h3 on_change=exec sleep 1000");
  await d.ok("service h3 on_change_timeout_secs=0.5");
  const t0 = Date.now();
  await d.ok("command start service h3");
  const hook = await waitFor(() => childrenOf(d.pid).find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u00001000\u0000"), "the hanging hook");
  // while it hangs, cfkd answers
  expect(await state("h3")).toBe("starting");
  await waitFor(() => (childrenOf(d.pid).includes(hook) ? null : true), "the hook killed", 5000);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  await waitFor(() => (log().includes("on_change hook of h3: killed after on_change_timeout_secs=0.5") ? true : null), "the kill logged");
  // the next change's hook runs (it queued meanwhile: starting → running)
  await waitFor(() => childrenOf(d.pid).find((p) => p !== hook && readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u00001000\u0000"), "the next hook");

  await d.ok("service h3 on_change=exit 3");
  await d.ok("command stop service h3");
  await waitFor(() => (log().includes("on_change hook of h3: failed: Exited with error 3") ? true : null), "the failure logged", 5000);
  await waitFor(async () => ((await state("h3")) === "stopped" ? true : null), "h3 stopped");
});

test("no hook outlives cfkd: at shutdown the last hooks get a grace, then are killed", async () => {
  const h = await DaemonProcess.start({ args: ["--on-change", "exec sleep 1000"] });
  let hook: number | undefined;
  try {
    await h.ok("service s cmd=sleep 100");
    await h.ok("command start service s");
    hook = await waitFor(() => childrenOf(h.pid).find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u00001000\u0000"), "the hook");
  } finally {
    const t0 = Date.now();
    await h[Symbol.asyncDispose]();
    expect(Date.now() - t0).toBeLessThan(6000);
  }
  expect(alive(hook!)).toBe(false); // killed (a zombie until init reaps it, at most)
});
