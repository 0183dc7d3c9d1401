/**
 * Console stress (issue 8, acceptance 1-3). Run: bun test/stress/console.stress.ts [seconds]
 * 1. fuzz: 100,000 hostile lines over 10 connections; lines/s.
 * 2. 1,000 concurrent connections doing `command status` in a loop against
 *    200 services: errors, dropped connections, latency percentiles.
 * 3. a client that sends `command status` forever and never reads: daemon RSS.
 * 4. (issue 12) a TCP console with a token under a pre-auth flood (1,000
 *    idle connections that never authenticate, opened again as they are
 *    closed) and a wrong-token flood: the operator's authenticated
 *    `command status` latency (< 200 ms) and the log's growth (< 100 KB).
 */
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, DaemonProcess, rssMiB, procStat, tempDir } from "../harness.ts";
import { generator } from "../security/fuzz-gen.ts";

const SECS = Number(process.argv[2] ?? 10);
const rss = rssMiB;
const pct = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor(a.length * p))]!;

// 1. fuzz, on a daemon of its own
{
  await using d = await DaemonProcess.start();
  const next = generator(7);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      const c = await d.client();
      const lines = Array.from({ length: 10_000 }, next);
      c.send(Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
      for (let i = 0; i < lines.length; i++) await c.next(30_000);
      await c[Symbol.asyncDispose]();
    }),
  );
  const s = (performance.now() - t0) / 1000;
  console.log(`fuzz: 100,000 lines in ${s.toFixed(2)} s = ${Math.round(100_000 / s)} lines/s; daemon alive: ${d.proc.exitCode === null}`);
}

// 4. strangers on a TCP console with a token, on a daemon of its own
{
  using dir = tempDir();
  const tf = join(dir.path, "token");
  writeFileSync(tf, "s3cret\n", { mode: 0o600 });
  await using t = await DaemonProcess.start({ tcp: true, args: ["--auth-token-file", tf] });
  const logFile = join(t.home, "cfkd.log");
  const op = await t.client();
  await op.ok("auth s3cret");
  await op.ok("service a cmd=sleep 1000");
  const size0 = statSync(logFile).size;
  const deadline = Date.now() + SECS * 1000;
  let idleOpened = 0;
  let guesses = 0;
  const idle = async () => {
    // keeps 1,000 idle connections open, replacing those the daemon closes
    const open = new Set<Client>();
    while (Date.now() < deadline) {
      for (const c of open) if (c.closed) open.delete(c);
      while (open.size < 1000 && Date.now() < deadline) {
        const c = await t.client().catch(() => null);
        if (!c) break;
        open.add(c);
        idleOpened++;
      }
      await Bun.sleep(20);
    }
    for (const c of open) await c[Symbol.asyncDispose]();
  };
  const guesser = async () => {
    while (Date.now() < deadline) {
      const c = await t.client().catch(() => null);
      if (!c) continue;
      c.send("auth guess1\nauth guess2\nauth guess3\nauth guess4\n");
      guesses += 3;
      for (let i = 0; i < 300 && !c.closed; i++) await Bun.sleep(1);
      await c[Symbol.asyncDispose]();
    }
  };
  const lat: number[] = [];
  const operator = async () => {
    while (Date.now() < deadline) {
      const t0 = performance.now();
      await op.ok("command status");
      lat.push(performance.now() - t0);
      await Bun.sleep(20);
    }
  };
  await Promise.all([idle(), ...Array.from({ length: 8 }, guesser), operator()]);
  lat.sort((a, b) => a - b);
  const grew = statSync(logFile).size - size0;
  console.log(
    `strangers for ${SECS} s: ${idleOpened} idle connections opened, ${guesses} wrong tokens; operator's status (${lat.length} requests): ` +
      `p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms, max ${lat.at(-1)!.toFixed(1)} ms (limit 200); ` +
      `log grew ${(grew / 1024).toFixed(1)} KB (limit 100); operator still connected: ${!op.closed}`,
  );
  if (lat.at(-1)! >= 200 || grew >= 100 * 1024 || op.closed) process.exitCode = 1;
  await op[Symbol.asyncDispose]();
}

await using d = await DaemonProcess.start({ args: ["--max-connections", "1100"] });
const admin = await d.client();
admin.send(Array.from({ length: 200 }, (_, i) => `service s${i} cmd=sleep 1000\n`).join(""));
for (let i = 0; i < 200; i++) await admin.next();
await admin.ok("command start all");

// 2. 1,000 connections, status in a loop
{
  const conns: Client[] = [];
  let refused = 0;
  while (conns.length < 1000) {
    // a burst of connects can outrun the daemon's accept queue (the listen backlog)
    const c = await d.client().catch(() => null);
    if (c) conns.push(c);
    else if (++refused > 10_000) throw new Error("cannot open 1,000 connections");
    else await Bun.sleep(1);
  }
  console.log(`opened 1,000 connections (${refused} connect attempts refused on a full accept queue)`);
  const lat: number[] = [];
  let errors = 0;
  const deadline = Date.now() + SECS * 1000;
  const rss0 = rss(d.pid);
  const cpu = () => procStat(d.pid)!.cpuTicks / 100;
  const cpu0 = cpu();
  const self0 = process.cpuUsage();
  await Promise.all(
    conns.map(async (c) => {
      while (Date.now() < deadline) {
        const t = performance.now();
        const r = await c.request("command status", 30_000).catch(() => ({ error: "timeout", body: [] }));
        lat.push(performance.now() - t);
        if (r.error !== undefined || r.body.length !== 200) errors++;
      }
    }),
  );
  const dropped = conns.filter((c) => c.closed).length;
  lat.sort((a, b) => a - b);
  console.log(
    `1,000 connections × ${SECS} s of status (200 services): ${lat.length} requests (${Math.round(lat.length / SECS)}/s), ` +
      `errors ${errors}, dropped ${dropped}, latency p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms, max ${lat.at(-1)!.toFixed(1)} ms; ` +
      `RSS ${rss0.toFixed(1)} → ${rss(d.pid).toFixed(1)} MiB; CPU: daemon ${(cpu() - cpu0).toFixed(1)} s, this client ${((process.cpuUsage(self0).user + process.cpuUsage(self0).system) / 1e6).toFixed(1)} s`,
  );
  for (const c of conns) await c[Symbol.asyncDispose]();
}

// 3. a client that never reads
{
  const before = rss(d.pid);
  const w = Bun.spawn(["python3", "-c", "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nwhile True: s.sendall(b'command status\\n'*1000)", d.sock], { stderr: "inherit" });
  let peak = before;
  const answers: number[] = [];
  for (let i = 0; i < 50; i++) {
    await Bun.sleep(100);
    peak = Math.max(peak, rss(d.pid));
    const t = performance.now();
    await admin.ok("command status");
    answers.push(performance.now() - t);
  }
  w.kill("SIGKILL");
  console.log(`non-reading client for 5 s: RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB; another client's status meanwhile: max ${Math.max(...answers).toFixed(1)} ms`);
}
await admin.ok("command stop all");
