/**
 * Issue 6 acceptance 2: auto proxies start with their first service and
 * stop with their last; noauto proxies only with proxyup/proxydown;
 * proxystatus shows up/down and the pid.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { DaemonProcess, daemonPerFile, alive, waitFor } from "../harness.ts";
import { PERL_PROXY, proxyStatus, waitState } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

test("auto: the first start starts the proxy, the last stop stops it", async () => {
  await d.ok(`proxy ap cmd=perl ${PERL_PROXY}`);
  await d.ok("proxy ap service x1 cmd=sleep 100");
  await d.ok("proxy ap service x2 cmd=sleep 100");
  expect((await proxyStatus(d)).ap).toEqual(["down", ""]);

  await d.ok("command start service x1");
  const [st, pid] = (await proxyStatus(d)).ap!;
  expect(st).toBe("up");
  expect(alive(Number(pid))).toBe(true);
  await d.ok("command start service x2");
  expect((await proxyStatus(d)).ap).toEqual(["up", pid!]); // the same proxy
  await waitState(d, "x1", "running");
  await waitState(d, "x2", "running");

  await d.ok("command stop service x1");
  await waitState(d, "x1", "stopped");
  expect((await proxyStatus(d)).ap![0]).toBe("up"); // x2 still needs it

  await d.ok("command stop service x2");
  await waitState(d, "x2", "stopped");
  await waitFor(async () => (await proxyStatus(d)).ap![0] === "down", "the idle proxy to stop");
  expect((await proxyStatus(d)).ap).toEqual(["down", ""]);
  await waitFor(() => !alive(Number(pid)), "the proxy process to exit");
  expect((await d.status("x1"))[5]).toBe("ap!");
});

test("noauto: started by proxyup only, kept when idle, proxydown fails its services", async () => {
  await d.ok(`proxy np cmd=perl ${PERL_PROXY}`);
  await d.ok("proxy np noauto=1");
  await d.ok("proxy np service y1 cmd=sleep 100");
  await d.ok("service y1 startwait_secs=0.1");
  expect(await d.request("command start service y1")).toEqual({ body: [], error: "Proxy is not running, not starting service 'y1'" });
  expect((await d.status("y1"))[1]).toBe("stopped");
  expect((await proxyStatus(d)).np![0]).toBe("down");

  expect(await d.ok("command proxyup np")).toEqual([]);
  const [, pid] = (await proxyStatus(d)).np!;
  expect(await d.ok("command proxyup np")).toEqual([]); // already up: nothing happens
  expect((await proxyStatus(d)).np).toEqual(["up", pid!]);

  await d.ok("command start service y1");
  await waitState(d, "y1", "running");
  await d.ok("command stop service y1");
  await waitState(d, "y1", "stopped");
  expect((await proxyStatus(d)).np).toEqual(["up", pid!]); // idle, but noauto

  await d.ok("command start service y1");
  const [, , worker] = await waitState(d, "y1", "running");
  expect(await d.ok("command proxydown np")).toEqual([]);
  expect((await waitState(d, "y1", "fail"))[6]).toBe("proxy stopped");
  await waitFor(() => !alive(Number(worker)) && !alive(Number(pid)), "the worker and the proxy to be gone");
  await waitFor(async () => (await proxyStatus(d)).np![0] === "down", "np down");
  expect((await proxyStatus(d)).np).toEqual(["down", ""]);
  expect((await d.status("y1"))[5]).toBe("np!");
  expect(await d.ok("command proxydown np")).toEqual([]); // already down
});

test("proxyup/proxydown of an unknown proxy, proxystatus sorted by name", async () => {
  const bail = { body: [], error: "Couldn't find a valid proxy. bailing." };
  expect(await d.request("command proxyup nosuch")).toEqual(bail);
  expect(await d.request("command proxydown nosuch")).toEqual(bail);
  expect(await d.request("command proxyup")).toEqual(bail);
  expect(await d.request("command proxystatus extra")).toEqual({ body: [], error: "too many arguments for 'proxystatus'" });
  const names = (await d.ok("command proxystatus")).map((l) => l.split("\t")[0]);
  expect(names).toEqual([...names].sort());
  expect(names).toContain("ap");
});

test("a proxy without cmd cannot run", async () => {
  await d.ok("proxy nocmd desc=nothing to run");
  await d.ok("proxy nocmd service z1 cmd=sleep 100");
  expect(await d.request("command proxyup nocmd")).toEqual({ body: [], error: "Proxy 'nocmd' can't run: no command" });
  expect(await d.request("command start service z1")).toEqual({ body: [], error: "Proxy 'nocmd' can't run: no command" });
});

test("the proxy gets its three pipes at 3, 4, 5 and nothing else of cfkd's; its services do not get them", async () => {
  await using held = await d.client(); // a console connection open in cfkd meanwhile
  await held.ok("command version");
  await d.ok(`proxy fp cmd=perl ${PERL_PROXY}`);
  await d.ok("proxy fp add_env=PROXY_MARK=yes");
  await d.ok(`proxy fp service f1 cmd=["sleep","100"]`);
  await d.ok("service direct1 cmd=sleep 100"); // spawned while the proxy's pipes are open in cfkd
  await d.ok("command start service f1");
  await d.ok("command start service direct1");
  const [, proxyPid] = (await proxyStatus(d)).fp!;
  const [, , worker] = await waitFor(async () => ((await d.status("f1"))[2] ? d.status("f1") : null), "f1's pid");
  const [, , direct] = await waitFor(async () => ((await d.status("direct1"))[2] ? d.status("direct1") : null), "direct1's pid");
  const fds = (pid: string) => readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  // the pipes are sockets at 3, 4, 5; anything after them is the proxy's own (its worker's output pipes)
  const proxyFds = fds(proxyPid!);
  expect(proxyFds.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
  for (const fd of [3, 4, 5]) expect(readlinkSync(`/proc/${proxyPid}/fd/${fd}`)).toStartWith("socket:");
  for (const fd of proxyFds.filter((f) => f > 5)) expect(readlinkSync(`/proc/${proxyPid}/fd/${fd}`)).toStartWith("pipe:");
  const vars = readFileSync(`/proc/${proxyPid}/environ`, "utf8").split("\0");
  expect(vars).toContain("_CFK_COMMAND_FD=3");
  expect(vars).toContain("_CFK_STATUS_FD=4");
  expect(vars).toContain("_CFK_LOG_FD=5");
  expect(vars).toContain("PROXY_MARK=yes");
  await waitFor(() => readlinkSync(`/proc/${worker}/exe`).endsWith("sleep"), "the worker's exec");
  // the kernel switches /proc/PID/exe before it closes the close-on-exec descriptors:
  // poll until exec is complete; a descriptor really handed on stays, and fails here
  const only012 = (pid: string) => waitFor(() => fds(pid).join() === "0,1,2", `${pid} to hold only 0, 1, 2`, 2000).catch(() => null);
  await Promise.all([only012(worker!), only012(direct!)]);
  expect(fds(worker!)).toEqual([0, 1, 2]);
  expect(fds(direct!)).toEqual([0, 1, 2]);
  await d.ok("command stop all");
});

test("a proxy that comes and goes leaves no descriptor behind in cfkd", async () => {
  await using d2 = await DaemonProcess.start();
  await d2.ok(`proxy lp cmd=perl ${PERL_PROXY}`);
  await d2.ok(`proxy lp service l1 cmd=["sleep","100"]`);
  await d2.ok("service l1 startwait_secs=0");
  const fdCount = () => readdirSync(`/proc/${d2.pid}/fd`).length;
  const cycle = async () => {
    await d2.ok("command start service l1");
    await waitState(d2, "l1", "running");
    await d2.ok("command stop service l1");
    await waitFor(async () => (await proxyStatus(d2)).lp![0] === "down", "lp down");
  };
  await cycle();
  await waitFor(() => fdCount(), "a descriptor count");
  const baseline = fdCount();
  for (let i = 0; i < 4; i++) await cycle();
  await waitFor(() => fdCount() <= baseline, `cfkd back to ${baseline} descriptors`);
  expect(fdCount()).toBeLessThanOrEqual(baseline);
});
