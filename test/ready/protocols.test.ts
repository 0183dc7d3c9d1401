/**
 * Issue 14 acceptance 1–3: each readiness protocol with a real program,
 * ready_timeout_secs → backoff → fatal, a failing health check restarts.
 * A service stays `starting` (saying what it waits for) until the signal.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, daemonPerFile, freePort, waitFor } from "../harness.ts";

let d: DaemonProcess;
daemonPerFile((x) => void (d = x));

/** The status fields, with the readiness extras as a map. */
async function st(name: string): Promise<{ state: string; pid: string; reason: string; x: Record<string, string> }> {
  const f = await d.status(name);
  const x: Record<string, string> = {};
  for (const kv of f.slice(8)) x[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
  return { state: f[1]!, pid: f[2]!, reason: f[6]!, x };
}
const until = (name: string, state: string, ms = 5000) =>
  waitFor(async () => ((await st(name)).state === state ? st(name) : null), `${name} to be ${state}`, ms);

/** Declare a service: each `prop=value` statement, then start it. */
async function run(name: string, props: Record<string, string>): Promise<void> {
  for (const [k, v] of Object.entries(props)) await d.ok(`service ${name} ${k}=${v}`);
  await d.ok(`command start service ${name}`);
}

describe("each protocol with a real program", () => {
  test("fd:3 — a Python service that sleeps 1 s, then writes a newline to its ready fd", async () => {
    await run("pyfd", { cmd: `["python3","-c","import os,time; time.sleep(1); os.write(3, b'\\\\n'); time.sleep(100)"]`, ready: "fd:3" });
    const s = await st("pyfd");
    expect(s.state).toBe("starting");
    expect(s.x.waiting).toBe("waiting for ready fd");
    expect(s.x.ready).toBe("0");
    const r = await until("pyfd", "running");
    expect(r.x.ready).toBe("1");
  });

  test("notify — Debian's systemd-notify --ready, with STATUS=", async () => {
    await run("sdn", { cmd: "sh -c 'sleep 0.3; systemd-notify --ready --status=\"accepting\"; exec sleep 100'", ready: "notify" });
    expect((await st("sdn")).x.waiting).toBe("waiting for READY=1");
    const r = await until("sdn", "running");
    expect(r.x.status_text).toBe("accepting");
    const desc = (await d.ok("command desc service sdn"))[0]!;
    expect(desc).toContain("\tready=notify");
  });

  test("notify — Python's socket sending READY=1", async () => {
    const py = "import os,socket,time; time.sleep(0.3); s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET']); time.sleep(100)";
    await run("pyn", { cmd: JSON.stringify(["python3", "-c", py]), ready: "notify" });
    expect((await st("pyn")).state).toBe("starting");
    await until("pyn", "running");
  });

  test("notify — a stranger's READY=1 does not count; garbage harms nobody", async () => {
    await run("strange", { cmd: "sleep 100", ready: "notify" });
    const sock = join(d.home, "notify", "strange");
    await waitFor(() => existsSync(sock), "the notify socket");
    const send = (msg: string, times = 1) =>
      Bun.spawnSync(["python3", "-c", `import socket,sys\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\nfor i in range(${times}): s.sendto(bytes.fromhex(sys.argv[2]), sys.argv[1])`, sock, Buffer.from(msg, "latin1").toString("hex")]);
    send("\x00\xff garbage\nREADY=2\n=\n", 2000); // garbage, and a flood of it
    send("READY=1"); // from a process that is not the service's
    await d.ok("command status"); // the daemon answers
    const s = await st("strange");
    expect(s.state).toBe("starting");
  });

  test("http: — a Python HTTP server that starts listening 0.5 s later", async () => {
    const port = await freePort();
    await run("web", {
      cmd: `sh -c 'sleep 0.5; exec python3 -m http.server ${port} --bind 127.0.0.1'`,
      ready: `http://127.0.0.1:${port}/`,
      ready_interval_secs: "0.1",
    });
    const s = await waitFor(async () => {
      const s = await st("web");
      return s.x.probe?.includes("connection refused") ? s : null;
    }, "a refused probe");
    expect(s.state).toBe("starting");
    expect(s.x.waiting).toBe(`probe http://127.0.0.1:${port}/: connection refused`);
    const r = await until("web", "running");
    expect(r.x.probe).toBe("ok");
  });

  test("exec: — pg_isready-style exit codes (2 until the file exists, then 0)", async () => {
    const flag = join(d.home, "db-accepting");
    await run("pg", { cmd: "sleep 100", ready: `exec:sh -c 'test -f ${flag} || exit 2'`, ready_interval_secs: "0.1" });
    const s = await waitFor(async () => {
      const s = await st("pg");
      return s.x.probe?.endsWith("exit 2") ? s : null;
    }, "a failed exec probe");
    expect(s.state).toBe("starting");
    writeFileSync(flag, "");
    await until("pg", "running");
  });

  test("log: — the first 'listening on' line", async () => {
    await run("lg", { cmd: "sh -c 'echo booting; sleep 0.3; echo \"listening on :8080\"; exec sleep 100'", ready: "log:listening on :\\d+" });
    expect((await st("lg")).x.waiting).toBe("waiting for a log line matching /listening on :\\d+/");
    await until("lg", "running");
    // the log still gets every line
    await waitFor(async () => (await d.ok("command tail service lg")).some((l) => l.endsWith("listening on :8080")), "the line in tail");
  });

  test("command — `command ready service NAME`", async () => {
    await run("cmdr", { cmd: "sleep 100", ready: "command" });
    await Bun.sleep(50);
    expect((await st("cmdr")).x.waiting).toBe("waiting for command ready");
    expect((await d.request("command ready service pyfd")).error).toContain("not ready=command");
    await d.ok("command ready service cmdr");
    expect((await st("cmdr")).state).toBe("running");
  });
});

test("ready_timeout_secs: never ready → backoff → fatal, the reason in status", async () => {
  await run("late", { cmd: "sleep 100", ready: "command", ready_timeout_secs: "0.2", respawn_max_retries: "2", stopwait_secs: "0.5" });
  const s = await until("late", "fatal", 8000);
  expect(s.reason).toBe("not ready within ready_timeout_secs=0.2");
});

test("health: failing checks restart the service after health_failures failures", async () => {
  const port = await freePort(); // nothing listens there
  await run("sick", { cmd: "sleep 100", startwait_secs: "0.1", health: `tcp:127.0.0.1:${port}`, health_interval_secs: "0.1", health_failures: "3" });
  const first = (await until("sick", "running")).pid;
  await waitFor(async () => {
    const s = await st("sick");
    return s.pid !== "" && s.pid !== first ? s : null;
  }, "a restart with a new pid");
  const log = readFileSync(join(d.home, "cfkd.log"), "utf8");
  expect(log).toContain(`sick: health check failed: probe tcp:127.0.0.1:${port}: connection refused`);
});
