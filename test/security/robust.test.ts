/**
 * Issue 8: a client that never reads, a connection cap, programs that
 * cannot start, a fork storm inside a group, a kill storm.
 */
import { expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, alive, childrenOf, tempDir, waitFor, rssMiB, groupMembers } from "../harness.ts";


test("a client that sends status in a loop and never reads: bounded memory, others served", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  const decl = Array.from({ length: 200 }, (_, i) => `service s${i} cmd=sleep 1\n`).join("");
  c.send(decl);
  for (let i = 0; i < 200; i++) await c.next();
  await c.ok("command status");
  const before = rssMiB(d.pid);
  // python writes requests as fast as it can and never reads a byte
  const writer = Bun.spawn(
    ["python3", "-c", "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nprint('connected', flush=True)\nwhile True: s.sendall(b'command status\\n'*1000)", d.sock],
    { stdout: "pipe", stderr: "inherit" },
  );
  try {
    const reader = (writer.stdout as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // "connected"
    // let it fill every buffer on the way, then watch the daemon
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      await Bun.sleep(100);
      samples.push(rssMiB(d.pid));
      const t = performance.now();
      expect(await c.ok("command version")).toHaveLength(1); // others are served
      expect(performance.now() - t).toBeLessThan(500);
    }
    const peak = Math.max(...samples);
    console.log(`non-reading client: daemon RSS before ${before.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, last ${samples.at(-1)!.toFixed(1)} MiB`);
    expect(peak - before).toBeLessThan(64);
    expect(writer.exitCode).toBeNull(); // still blocked on the daemon, not disconnected by an error
  } finally {
    writer.kill("SIGKILL");
  }
});

test("connections over the cap are refused with a message; the others go on", async () => {
  await using d = await DaemonProcess.start({ args: ["--max-connections", "5"] });
  const held = await Promise.all(Array.from({ length: 4 }, () => d.client()));
  // the fifth is allowed (once the harness's own probe connection is gone)
  await using extra = await waitFor(async () => {
    const c = await d.client();
    if ((await c.request("command version")).error === undefined) return c;
    await c[Symbol.asyncDispose]();
    return null;
  }, "a fifth connection");
  await using over = await d.client();
  const r = await over.request("command version");
  expect(r.error).toBe("too many connections (limit 5)");
  await waitFor(() => over.closed, "refused connection closed");
  for (const h of held) await h[Symbol.asyncDispose]();
  await waitFor(async () => (await d.request("command version")).error === undefined, "room again");
});

test("programs that cannot start fail with the OS reason, never an exception", async () => {
  await using d = await DaemonProcess.start();
  using dir = tempDir();
  const notExec = join(dir.path, "script.sh");
  writeFileSync(notExec, "#!/bin/sh\nsleep 100\n");
  chmodSync(notExec, 0o644);
  const cases: [string, string, RegExp][] = [
    ["p1", "cmd=/nonexistent/bin/thing", /ENOENT|no such file/i],
    ["p2", `cmd=${notExec}`, /EACCES|permission denied/i],
    ["p3", "cwd=/nonexistent/dir", /cwd \/nonexistent\/dir: no such directory/],
    ["p4", "user=no_such_user_xyz", /unknown user 'no_such_user_xyz'/],
  ];
  for (const [name, prop, reason] of cases) {
    await d.ok(`service ${name} cmd=sleep 100`);
    await d.ok(`service ${name} ${prop}`);
    await d.ok(`service ${name} respawn_on_fail=0`);
    expect(await d.ok(`command start service ${name}`)).toEqual(["done 1"]);
    const s = await waitFor(async () => {
      const s = await d.status(name);
      return s[1] === "fail" ? s : null;
    }, `${name} to fail`);
    expect(s[6]).toMatch(reason);
  }
  // the daemon's events go to its log (cfkd.log with the default config)
  await waitFor(() => readFileSync(join(d.home, "cfkd.log"), "utf8").includes("cannot start p1"), "the failure in cfkd.log");
  expect(d.proc.exitCode).toBeNull();
});

test("a fork storm inside a service's group dies with the group on stop", async () => {
  await using d = await DaemonProcess.start();
  // 300 background sleepers, each of which forks another: a bounded "fork bomb"
  await d.ok(`service fb cmd=["/bin/sh","-c","i=0; while [ $i -lt 300 ]; do (sleep 100 & sleep 100) & i=$((i+1)); done; wait"]`);
  await d.ok("service fb stopwait_secs=0.5");
  await d.ok("command start service fb");
  const pgid = Number(await waitFor(async () => (await d.status("fb"))[2], "fb pid"));
  const members = () => groupMembers(pgid).length;
  await waitFor(() => members() > 500, "the storm to grow", 10000);
  await d.ok("command stop service fb");
  await waitFor(() => members() === 0, "every process of the group gone", 10000);
  expect(["stopped", "fail"]).toContain((await d.status("fb"))[1]!);
}, 30000);

test("200 services killed 20 times each: all back running, no zombie, no old generation alive", async () => {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  const N = 200;
  const decl: string[] = [];
  // This is about respawning and reaping under load, not crash loops: opt out of the
  // crash-loop bound (docs/daemon.md "Crash loops") to get the original's restart at once.
  for (let i = 0; i < N; i++) {
    decl.push(`service k${i} cmd=sleep 1000`, `service k${i} startwait_secs=0`, `service k${i} respawn_max_retries=1000`);
    decl.push(`service k${i} max_restarts=0`, `service k${i} stable_secs=0`);
  }
  c.send(decl.map((l) => l + "\n").join(""));
  for (const _ of decl) expect((await c.next()).error).toBeUndefined();
  await c.ok("command start all");
  const pids = async () => new Map((await c.ok("command pids")).map((l) => l.split(": ") as [string, string]).map(([n, p]) => [n, Number(p)]));
  await waitFor(async () => [...(await pids()).values()].every((p) => p > 0), "all started");
  const old = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const now = await pids();
    for (const p of now.values()) {
      if (p > 0) {
        old.add(p);
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    // next round once every service has a new process
    await waitFor(async () => [...(await pids()).entries()].every(([n, p]) => p > 0 && p !== now.get(n)), `round ${round} respawned`, 10000);
  }
  const st = await waitFor(async () => {
    const st = await c.ok("command status");
    return st.every((l) => l.split("\t")[1] === "running") ? st : null;
  }, "every service running", 10000);
  expect(st).toHaveLength(N);
  for (const p of old) expect(alive(p)).toBe(false);
  // no zombie children of cfkd
  const zombies = childrenOf(d.pid).filter((p) => {
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8"));
    } catch {
      return false;
    }
  });
  expect(zombies).toEqual([]);
  expect(old.size).toBe(N * 20);
}, 60000);
