/**
 * Issue 6 acceptance 3: a proxy killed with SIGKILL takes its services to
 * `fail` with reason `proxy stopped` (their orphaned workers killed), and
 * those set to respawn come back when the proxy is started again.
 * Also: cfkd's own SIGKILL after stopwait_secs reaches a proxied worker.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DaemonProcess, daemonPerFile, FIXTURES, alive, waitFor } from "../harness.ts";
import { PERL_PROXY, ppid, proxyStatus, waitLogText, waitState } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

async function declare(proxy: string, names: string[]): Promise<void> {
  await d.ok(`proxy ${proxy} cmd=perl ${PERL_PROXY}`);
  for (const n of names) {
    await d.ok(`proxy ${proxy} service ${n} cmd=["sleep","100"]`);
    await d.ok(`service ${n} startwait_secs=0.1`);
  }
}

async function startAll(names: string[]): Promise<number[]> {
  for (const n of names) await d.ok(`command start service ${n}`);
  return Promise.all(names.map(async (n) => Number((await waitState(d, n, "running"))[2])));
}

test("SIGKILL of the proxy: fail 'proxy stopped', workers gone; proxyup brings back those set to respawn", async () => {
  await declare("cp", ["k1", "k2", "k3"]);
  await d.ok("service k3 respawn_on_fail=0");
  const workers = await startAll(["k1", "k2", "k3"]);
  const proxyPid = Number((await proxyStatus(d)).cp![1]);

  process.kill(proxyPid, "SIGKILL");
  for (const n of ["k1", "k2", "k3"]) {
    const s = await waitState(d, n, "fail");
    expect(s[6]).toBe("proxy stopped");
    expect(s[2]).toBe("");
  }
  // the workers lost their supervisor: cfkd killed them (they would be duplicated)
  await waitFor(() => workers.every((w) => !alive(w)), "the orphaned workers to be killed");
  expect((await proxyStatus(d)).cp).toEqual(["down", ""]);
  expect((await d.status("k1"))[5]).toBe("cp!");
  await waitLogText(d, "proxy 'cp' abnormal termination: Received signal 9");
  // an auto proxy is not restarted by itself after a crash
  expect((await proxyStatus(d)).cp![0]).toBe("down");

  await d.ok("command proxyup cp");
  const newProxy = Number((await proxyStatus(d)).cp![1]);
  for (const n of ["k1", "k2"]) {
    const s = await waitState(d, n, "running");
    expect(ppid(Number(s[2]))).toBe(newProxy);
  }
  expect((await d.status("k3"))[1]).toBe("fail"); // respawn_on_fail=0 stays down
  await d.ok("command stop all");
  await waitFor(async () => (await proxyStatus(d)).cp![0] === "down", "cp to stop with its services");
});

test("after a crash, starting any service of an auto proxy brings the others back with it", async () => {
  await declare("cq", ["q1", "q2"]);
  await startAll(["q1", "q2"]);
  process.kill(Number((await proxyStatus(d)).cq![1]), "SIGKILL");
  await waitState(d, "q2", "fail");
  await waitState(d, "q1", "fail");
  // q1 is started by hand: the auto proxy starts, and q2, which wants to run, comes back too
  await d.ok("command start service q1");
  await waitState(d, "q1", "running");
  await waitState(d, "q2", "running");
  await d.ok("command stop service q1");
  await d.ok("command stop service q2");
  await waitFor(async () => (await proxyStatus(d)).cq![0] === "down", "cq to stop");
});

test("a stopped service does not come back with its proxy", async () => {
  await declare("cr", ["r1"]);
  await startAll(["r1"]);
  process.kill(Number((await proxyStatus(d)).cr![1]), "SIGKILL");
  await waitState(d, "r1", "fail");
  // the operator does not want it any more
  expect(await d.request("command stop service r1")).toEqual({ body: [], error: "Service 'r1' is already down" });
  await d.ok("command proxyup cr");
  expect((await proxyStatus(d)).cr![0]).toBe("up");
  expect((await d.status("r1"))[1]).toBe("fail");
  await d.ok("command proxydown cr");
});

test("a proxied worker that ignores SIGTERM is SIGKILLed by cfkd after stopwait_secs", async () => {
  await d.ok(`proxy ck cmd=perl ${PERL_PROXY}`);
  await d.ok(`proxy ck service t1 cmd=["${join(FIXTURES, "ignore-term.sh")}"]`);
  await d.ok("service t1 startwait_secs=0.1");
  await d.ok("service t1 stopwait_secs=0.3");
  const [worker] = await startAll(["t1"]);
  await d.ok("command stop service t1");
  const s = await waitState(d, "t1", "fail", 4000);
  expect(s[6]).toBe("Received signal 9 (did not stop within stopwait_secs=0.3)");
  await waitFor(() => !alive(worker!), "the worker to be gone");
  await waitFor(async () => (await proxyStatus(d)).ck![0] === "down", "ck to stop once idle");
});

test("shutdown stops the services, then the proxies; nothing survives cfkd", async () => {
  await using d2 = await DaemonProcess.start();
  await d2.ok(`proxy sp cmd=perl ${PERL_PROXY}`);
  await d2.ok("proxy sp noauto=1");
  await d2.ok(`proxy sp service s1 cmd=["sleep","100"]`);
  await d2.ok("command proxyup sp");
  await d2.ok("command start service s1");
  const worker = Number(await waitFor(async () => (await d2.status("s1"))[2], "s1's pid"));
  const proxyPid = Number((await proxyStatus(d2)).sp![1]);
  await d2.ok("command shutdown");
  await d2.proc.exited;
  // (a SIGKILLed process may take a moment to be seen dead; the log is written in the background)
  await waitFor(() => !alive(worker) && !alive(proxyPid), "the worker and the proxy to be gone", 2000);
  await waitLogText(d2, "child s1 gracefully killed", 2000); // stopped through the proxy, not lost with it
});
