/**
 * Issue 14 acceptance 4–5 with the real cfkctl (from source): `start --wait`
 * returns once everything runs, exits 1 naming the service and its
 * fail_reason when one goes fatal; `wait --state stopped --timeout 1` exits
 * 1 on timeout; `stop --with-dependents`, `ready`.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, BUN, ROOT } from "../harness.ts";

const CFKCTL = join(ROOT, "src/cfkctl.ts");

async function ctl(d: DaemonProcess, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([BUN, CFKCTL, "--address", d.sock, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

test("cfkctl start --wait, wait --state stopped --timeout, ready, stop --with-dependents", async () => {
  await using d = await DaemonProcess.start();
  await d.ok("service db cmd=sleep 100");
  await d.ok("service db ready=command");
  await d.ok("service app cmd=sleep 100");
  await d.ok("service app startwait_secs=0.1");
  await d.ok("service app after=db");
  const started = ctl(d, "start", "--wait", "--timeout", "10", "app");
  // app is held until db is ready; db is ready when told so
  await Bun.sleep(200);
  expect((await ctl(d, "ready", "db")).code).toBe(0);
  expect(await started).toEqual({ code: 0, out: "", err: "" });
  expect((await d.status("app"))[1]).toBe("running");

  const t = await ctl(d, "wait", "app", "--state", "stopped", "--timeout", "1");
  expect(t.code).toBe(1);
  expect(t.err).toBe("error: timeout after 1s: app is running\n");

  expect((await ctl(d, "stop", "--with-dependents", "db")).code).toBe(0);
  expect((await ctl(d, "wait", "--state", "stopped", "app", "db")).code).toBe(0);

  await d.ok("service bad cmd=sh -c 'exit 7'");
  await d.ok("service bad respawn_max_retries=2");
  const f = await ctl(d, "start", "--wait", "bad", "db");
  expect(f.code).toBe(1);
  expect(f.err).toMatch(/^error: bad is (backoff|fatal): Exited with error 7\n$/);
});
