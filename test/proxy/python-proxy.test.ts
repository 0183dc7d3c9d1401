/**
 * The shipped preloading proxy, proxies/cfk-python-proxy.py: it imports the
 * application once and forks each service from it; callables, modules,
 * exit codes, stop signals, output and environment, shutdown.
 */
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { DaemonProcess, daemonPerFile, alive, waitFor } from "../harness.ts";
import { APP_DIR, PYTHON_PROXY, logText, ppid, proxyStatus, waitLog, waitLogText, waitState } from "./helpers.ts";

let d: DaemonProcess;
daemonPerFile(async (x) => {
  d = x;
  await d.ok(`proxy py cmd=["python3","${PYTHON_PROXY}","--path","${APP_DIR}","--preload","app"]`);
});

async function service(name: string, cmd: string, ...props: string[]): Promise<void> {
  await d.ok(`proxy py service ${name} cmd=${cmd}`);
  await d.ok(`service ${name} startwait_secs=0.3`);
  for (const p of props) await d.ok(`service ${name} ${p}`);
}

test("workers are forked from the proxy that imported the application once", async () => {
  await service("w1", "app:serve");
  await service("w2", "app:serve");
  await d.ok("command start service w1");
  await d.ok("command start service w2");
  const proxyPid = Number((await proxyStatus(d)).py![1]);
  for (const w of ["w1", "w2"]) {
    const pid = Number((await waitState(d, w, "running"))[2]);
    expect(ppid(pid)).toBe(proxyPid);
    await waitLog(d, `service.${w}.out`, `serving in ${pid}, imported in ${proxyPid}`);
  }
  await waitLog(d, "service.w1.err", "a line on stderr");
  expect(logText(d)).toMatch(new RegExp(`proxy\\.py\\.out - cfk-python-proxy ready \\(pid ${proxyPid},`));
  await d.ok("command stop service w1");
  await waitState(d, "w1", "stopped");
  expect((await proxyStatus(d)).py![0]).toBe("up"); // w2 still runs
});

test("a callable that raises is a failed start with its traceback in the log; an int result is the exit code", async () => {
  await service("bad", "app:fail", "respawn_max_retries=2");
  await d.ok("command start service bad");
  const s = await waitState(d, "bad", "fatal", 8000);
  expect(s[6]).toBe("Exited with error 1");
  await waitLog(d, "service.bad.err", "RuntimeError: boom at startup");

  await service("three", "app:exit3", "respawn_on_fail=0");
  await d.ok("command start service three");
  expect((await waitState(d, "three", "fail"))[6]).toBe("Exited with error 3");
});

test("a module runs as __main__ with the cmd's other words as sys.argv", async () => {
  await service("mod", "app_main one two");
  await d.ok("command start service mod");
  await waitLog(d, "service.mod.out", "main ran with ['one', 'two']");
  await d.ok("command stop service mod");
  await waitState(d, "mod", "stopped");
});

test("the child sees only fds 0-2, its environment, not the proxy's pipes", async () => {
  await service("insp", `["app:inspect","x y"]`, "add_env=GREETING=hi");
  await d.ok("command start service insp");
  const pid = Number((await waitState(d, "insp", "running"))[2]);
  await waitLog(d, "service.insp.out", "fds [0, 1, 2] argv ['x y']");
  await waitLog(d, "service.insp.out", "env insp hi False");
  expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);
  await d.ok("command stop service insp");
  await waitState(d, "insp", "stopped");
});

test("stop_signal reaches the worker through the stop command", async () => {
  await service("polite", "app:polite", "stop_signal=INT");
  await d.ok("command start service polite");
  await waitState(d, "polite", "running");
  await d.ok("command stop service polite");
  await waitState(d, "polite", "stopped");
  await waitLog(d, "service.polite.out", "got SIGINT, bye");
});

test("proxydown: the proxy stops its workers and exits; they fail with 'proxy stopped'", async () => {
  const pid = Number((await d.status("w2"))[2]);
  const proxyPid = Number((await proxyStatus(d)).py![1]);
  await d.ok("command proxydown py");
  expect((await waitState(d, "w2", "fail"))[6]).toBe("proxy stopped");
  await waitFor(() => !alive(pid) && !alive(proxyPid), "the worker and the proxy to exit");
  await waitLog(d, "proxy.py.out", "cfk-python-proxy exits");
  await waitLog(d, "cfkd", "proxy 'py' exited"); // a clean exit (0), once cfkd has seen it
});

test("a proxy that cannot preload its application dies; its service fails with it, the reason is in the log", async () => {
  await d.ok(`proxy broken cmd=["python3","${PYTHON_PROXY}","--path","${APP_DIR}","--preload","no_such_app"]`);
  await d.ok("proxy broken service bw cmd=no_such_app:run");
  await d.ok("command start service bw");
  expect((await waitState(d, "bw", "fail"))[6]).toBe("proxy stopped");
  await waitLog(d, "proxy.broken.err", "ModuleNotFoundError: No module named 'no_such_app'");
  await waitLogText(d, "proxy 'broken' abnormal termination: Exited with error 1");
});
