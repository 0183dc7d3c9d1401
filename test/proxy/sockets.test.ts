/**
 * Issue 6 acceptance 5: workers forked by the proxy accept on a shared
 * socket passed to the proxy as `_CFK_SOCK_<name>` and given to each worker
 * as its stdin (`tie_stdin_to`). Sockets the proxy's services need are bound
 * before it starts; one bound after it started is a clear failed start.
 */
import { expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { DaemonProcess, freePort, waitFor } from "../harness.ts";
import { APP_DIR, PERL_PROXY, PYTHON_PROXY, proxyStatus, waitState } from "./helpers.ts";

/** One connection: the line the worker that accepted it sends. */
async function hello(port: number): Promise<string> {
  let text = "";
  const { promise, resolve } = Promise.withResolvers<string>();
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        text += new TextDecoder().decode(d);
      },
      close() {
        resolve(text.trim());
      },
    },
  });
  return promise;
}

test("proxied workers accept on the shared socket tied to their stdin", async () => {
  await using d = await DaemonProcess.start();
  const port = await freePort();
  await d.ok("socket web host=127.0.0.1");
  await d.ok(`socket web service=${port}`);
  // not bound by hand: the proxy's first start binds what its services tie to
  await d.ok(`proxy py cmd=["python3","${PYTHON_PROXY}","--path","${APP_DIR}","--preload","app"]`);
  for (const w of ["w1", "w2"]) {
    await d.ok(`proxy py service ${w} cmd=app:accept_loop`);
    await d.ok(`service ${w} tie_stdin_to=web`);
    await d.ok(`service ${w} startwait_secs=0.2`);
    await d.ok(`command start service ${w}`);
  }
  const pids = await Promise.all(["w1", "w2"].map(async (w) => (await waitState(d, w, "running"))[2]!));
  const proxyPid = (await proxyStatus(d)).py![1]!;
  // the proxy got the socket under its name; each worker has it as fd 0
  const inode = await waitFor(() => {
    const env = readFileSync(`/proc/${proxyPid}/environ`, "utf8").split("\0");
    const fd = env.find((v) => v.startsWith("_CFK_SOCK_web="))?.split("=")[1];
    return fd ? readlinkSync(`/proc/${proxyPid}/fd/${fd}`) : null;
  }, "_CFK_SOCK_web in the proxy");
  for (const pid of pids) expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe(inode);

  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const line = await hello(port);
    expect(line).toMatch(/^hello from \d+$/);
    seen.add(line.split(" ").at(-1)!);
  }
  for (const pid of seen) expect(pids).toContain(pid);

  // one worker down, the port stays open: the other one answers
  await d.ok("command stop service w1");
  await waitState(d, "w1", "stopped");
  expect(await hello(port)).toBe(`hello from ${pids[1]}`);
  await d.ok("command stop all");
});

test("a socket bound after the proxy started is not the proxy's: the start fails and says why", async () => {
  await using d = await DaemonProcess.start();
  await d.ok(`proxy late cmd=perl ${PERL_PROXY}`);
  await d.ok("proxy late noauto=1");
  await d.ok("command proxyup late");
  await d.ok("socket s2 host=127.0.0.1");
  await d.ok(`socket s2 service=${await freePort()}`);
  await d.ok("command bind s2");
  await d.ok(`proxy late service t1 cmd=["sleep","100"]`);
  await d.ok("service t1 tie_stdin_to=s2");
  await d.ok("service t1 respawn_on_fail=0");
  await d.ok("command start service t1");
  const s = await waitState(d, "t1", "fail");
  expect(s[6]).toBe("socket 's2' was not bound when proxy 'late' started: restart the proxy");
  // restarting the proxy is the cure
  await d.ok("command proxydown late");
  await waitFor(async () => (await proxyStatus(d)).late![0] === "down", "late down");
  await d.ok("command proxyup late");
  await d.ok("command start service t1");
  await waitFor(async () => (await d.status("t1"))[2], "t1's pid");
});
