/** A broken proxy never hurts cfkd: garbage is logged, lies about pids are harmless. */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, FIXTURES, alive } from "../harness.ts";
import { logText, proxyStatus, waitLogText, waitState } from "./helpers.ts";

test("garbage statuses and log lines, foreign names, cfkd's own pid as a worker's", async () => {
  await using d = await DaemonProcess.start();
  await d.ok(`proxy hp cmd=["/bin/sh","${join(FIXTURES, "proxy/broken-proxy.sh")}"]`);
  await d.ok(`proxy hp service h1 cmd=anything`);
  await d.ok("service h1 startwait_secs=0.1");
  await d.ok("service h1 stopwait_secs=0.2");
  await d.ok("command start service h1");
  const s = await waitState(d, "h1", "running");
  expect(Number(s[2])).toBe(d.pid); // the lie is shown, not acted on
  await waitLogText(d, "logs for unknown service 'nosuch'");
  await waitLogText(d, "proxy 'hp' sent a bad status (not JSON): not json");
  await waitLogText(d, "proxy 'hp' sent a bad status (started 'h1' without a valid pid)");
  await waitLogText(d, "proxy 'hp' reports started for 'nosuch', which it does not run");
  await waitLogText(d, "proxy.hp.err - no colons here");
  expect(logText(d)).toMatch(/proxy\.hp\.err - x{65536}$/m); // a long line without colons: split at 64 KiB

  // stop: the proxy does nothing; after stopwait cfkd's SIGKILL must not hit cfkd itself
  await d.ok("command stop service h1");
  await waitLogText(d, "service h1 still running after 0.2s, killing"); // cfkd's SIGKILL
  expect(alive(d.pid)).toBe(true);
  expect((await d.status("h1"))[1]).toBe("stopping");
  // the way out: take the proxy down
  await d.ok("command proxydown hp");
  expect((await waitState(d, "h1", "fail"))[6]).toBe("proxy stopped");
  expect((await proxyStatus(d)).hp![0]).toBe("down");
  expect(alive(d.pid)).toBe(true);
});
