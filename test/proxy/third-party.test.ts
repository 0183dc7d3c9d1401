/**
 * Issue 6 acceptance 1: a proxy written in Perl from the protocol alone
 * (test/fixtures/proxy/exec-proxy.pl) starts, stops and relays the logs of
 * three services; their states, pids and lines show in status, pids and the log.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, daemonPerFile, alive, waitFor } from "../harness.ts";
import { PERL_PROXY, ppid, proxyStatus, waitLog, waitLogText, waitState } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

test("three services through a third-party proxy: states, pids, logs, stop, respawn", async () => {
  await d.ok(`proxy tp cmd=perl ${PERL_PROXY}`);
  await d.ok(`proxy tp service a cmd=["/bin/sh","-c","echo hello from a; exec sleep 100"]`);
  await d.ok(`proxy tp service b cmd=["/bin/sh","-c","echo trouble in b >&2; exec sleep 100"]`);
  await d.ok(`proxy tp service c cmd=sleep 100`); // a string: the proxy decides (this one: sh -c)
  for (const s of ["a", "b", "c"]) await d.ok(`service ${s} startwait_secs=0.2`);
  expect((await proxyStatus(d)).tp).toEqual(["down", ""]);
  expect((await d.status("a"))[5]).toBe("tp!"); // the proxy is down

  expect(await d.ok("command start all")).toEqual(["done 3"]);
  const running = await Promise.all(["a", "b", "c"].map((s) => waitState(d, s, "running")));
  const [up, proxyPid] = (await proxyStatus(d)).tp!;
  expect(up).toBe("up");
  expect(alive(Number(proxyPid))).toBe(true);
  for (const s of running) {
    expect(s[5]).toBe("tp"); // status shows the proxy
    expect(ppid(Number(s[2]))).toBe(Number(proxyPid)); // forked by the proxy
  }
  const pids = await d.ok("command pids");
  expect(pids).toEqual(running.map((s) => `${s[0]}: ${proxyPid}, ${s[2]}`));
  expect((await d.ok("command desc service a"))[0]!.split("\t")[3]).toBe("tp");

  await waitLog(d, "service.a.out", "hello from a");
  await waitLog(d, "service.b.err", "trouble in b");
  await waitLog(d, "proxy.tp.out", `exec-proxy ready (pid ${proxyPid})`);
  // relayed lines are a service's output like any other: `tail` has them
  expect(await d.ok("command tail service a")).toContain("a\tout\thello from a");
  expect(await d.ok("command tail service b")).toContain("b\terr\ttrouble in b");

  // stop one: the proxy signals it, reports the exit, the others keep running
  const bPid = Number(running[1]![2]);
  expect(await d.ok("command stop service b")).toEqual(["done 1"]);
  await waitState(d, "b", "stopped");
  expect(alive(bPid)).toBe(false);

  // a crash is reported with its wait status and respawned like any service
  const cPid = Number(running[2]![2]);
  process.kill(cPid, "SIGKILL");
  const again = await waitFor(async () => {
    const s = await d.status("c");
    return s[1] === "running" && s[2] !== String(cPid) ? s : null;
  }, "c respawned through the proxy");
  expect(ppid(Number(again[2]))).toBe(Number(proxyPid));
  await waitLogText(d, "child c terminated abnormally: Received signal 9");

  // restart goes through the proxy twice: stop, then start
  const aPid = running[0]![2];
  expect(await d.ok("command restart service a")).toEqual(["done 1"]);
  const restarted = await waitFor(async () => {
    const s = await d.status("a");
    return s[1] === "running" && s[2] !== aPid ? s : null;
  }, "a running again with a new pid");
  expect(ppid(Number(restarted[2]))).toBe(Number(proxyPid));
  expect(alive(Number(aPid))).toBe(false);

  // destroy: stopped through the proxy, then forgotten
  await d.request("command destroy service b");
  await waitFor(async () => !(await d.ok("command list")).includes("b"), "b forgotten");

  // stop the last ones: the auto proxy goes away with them
  await d.ok("command stop all");
  await waitFor(async () => (await proxyStatus(d)).tp![0] === "down", "the proxy to stop");
  await waitFor(() => !alive(Number(proxyPid)), "the proxy process to be gone");
  for (const s of ["a", "c"]) expect((await d.status(s))[1]).toBe("stopped");
});
