/**
 * A proxy that is on its way out: a start waits for it to exit and goes to
 * a new proxy process; proxyup during the stop starts it again afterwards.
 */
import { expect, test } from "bun:test";
import { DaemonProcess, daemonPerFile, alive, waitFor } from "../harness.ts";
import { PERL_PROXY, ppid, proxyStatus, waitState } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

/** An auto proxy that takes 0.6 s to exit once told to stop, and one service. */
async function slowProxy(name: string, svc: string): Promise<number> {
  await d.ok(`proxy ${name} cmd=perl ${PERL_PROXY}`);
  await d.ok(`proxy ${name} add_env=EXEC_PROXY_EXIT_DELAY=0.6`);
  await d.ok(`proxy ${name} service ${svc} cmd=["sleep","100"]`);
  await d.ok(`service ${svc} startwait_secs=0.1`);
  await d.ok(`command start service ${svc}`);
  await waitState(d, svc, "running");
  const pid = Number((await proxyStatus(d))[name]![1]);
  // its last service stops: the proxy is told to go, and takes its time
  await d.ok(`command stop service ${svc}`);
  await waitState(d, svc, "stopped");
  return pid;
}

test("a start while the auto proxy is stopping goes to the next proxy process", async () => {
  const old = await slowProxy("sp1", "s1");
  expect(alive(old)).toBe(true);
  expect(await d.ok("command start service s1")).toEqual(["done 1"]);
  const s = await waitState(d, "s1", "running", 5000);
  const fresh = Number((await proxyStatus(d)).sp1![1]);
  expect(fresh).not.toBe(old);
  expect(ppid(Number(s[2]))).toBe(fresh);
  await waitFor(() => !alive(old), "the old proxy to be gone");
  await d.ok("command stop service s1");
});

test("a stop of a start that is still waiting for the next proxy process: stopped, nothing runs", async () => {
  const old = await slowProxy("sp2", "s2");
  await d.ok("command start service s2");
  expect((await d.status("s2"))[1]).toBe("starting");
  await d.ok("command stop service s2");
  await waitState(d, "s2", "stopped");
  await waitFor(() => !alive(old), "the old proxy to be gone");
  // nothing wanted it: no new proxy
  expect((await proxyStatus(d)).sp2).toEqual(["down", ""]);
});

test("proxyup while the proxy is stopping starts it again once it has exited", async () => {
  const old = await slowProxy("sp3", "s3");
  expect(await d.ok("command proxyup sp3")).toEqual([]);
  await waitFor(async () => {
    const [st, pid] = (await proxyStatus(d)).sp3!;
    return st === "up" && Number(pid) !== old;
  }, "a new sp3 process");
  expect(alive(old)).toBe(false);
  await d.ok("command proxydown sp3");
});
