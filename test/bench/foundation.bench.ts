/**
 * Foundation benchmark (issue 2, acceptance 7). Run: bun test/bench/foundation.bench.ts
 * Prints: time to declare+start N services until all are in /proc, status
 * round-trip, kill -9 → new pid respawn latency, stop of N, daemon RSS/PSS,
 * idle CPU. Targets (N=200): all running ≤ 0.2 s (1,000 ≤ 1 s), respawn
 * median ≤ 3 ms, stop ≤ 0.06 s, status ≤ 1.5 ms, PSS ≤ 31 MiB, idle CPU 0.
 */
import { existsSync, readFileSync } from "node:fs";
import { DaemonProcess, type Client, procStat } from "../harness.ts";

const CLK_TCK = 100;
const ms = (t: number) => `${t.toFixed(2)} ms`;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;

const cpuTicks = (pid: number) => procStat(pid)!.cpuTicks;
function memKiB(pid: number): { rss: number; pss: number } {
  const r = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(r)?.[1] ?? 0);
  return { rss: get("Rss"), pss: get("Pss") };
}

/** Pipeline many requests on one connection; resolves with all replies. */
async function pipeline(c: Client, lines: string[]) {
  c.send(lines.map((l) => l + "\n").join(""));
  const out = [];
  for (let i = 0; i < lines.length; i++) out.push(await c.next(30000));
  return out;
}

async function pids(c: Client): Promise<Map<string, number>> {
  const body = await c.ok("command pids");
  const m = new Map<string, number>();
  for (const l of body) {
    const [n, p] = l.split(": ");
    if (p) m.set(n!, Number(p));
  }
  return m;
}

async function scenario(n: number) {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  const decl: string[] = [];
  for (let i = 0; i < n; i++) decl.push(`service s${i} cmd=sleep 1000`, `service s${i} startwait_secs=0.05`, `service s${i} tags=bench`);
  const t0 = performance.now();
  const replies = await pipeline(c, decl);
  const tDecl = performance.now() - t0;
  replies.push(await c.request("command start tag bench", 30000));
  const tCmd = performance.now() - t0 - tDecl;
  if (replies.some((r) => r.error)) throw new Error("declaration failed");
  // all running and visible in /proc
  for (;;) {
    const p = await pids(c);
    if (p.size === n && [...p.values()].every((pid) => existsSync(`/proc/${pid}`))) break;
  }
  const tStart = performance.now() - t0;
  for (;;) {
    const st = await c.ok("command status");
    if (st.every((l) => l.split("\t")[1] === "running")) break;
    await Bun.sleep(5);
  }
  console.log(`N=${n}: declare+start → all in /proc: ${ms(tStart)} (declarations ${ms(tDecl)}, start command ${ms(tCmd)})`);

  // status round-trip
  const rt: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await c.ok("command status");
    rt.push(performance.now() - t);
  }
  console.log(`N=${n}: command status round-trip: median ${ms(median(rt))}, p99 ${ms(pct(rt, 0.99))}`);

  // memory, then idle CPU over 10 s
  const m0 = memKiB(d.pid);
  console.log(`N=${n}: daemon RSS ${(m0.rss / 1024).toFixed(1)} MiB, PSS ${(m0.pss / 1024).toFixed(1)} MiB`);
  if (n === 200 || n === 1000) {
    // Bun's own GC controller ticks every second for a while after activity,
    // then backs off to a slow interval: measure right away and once settled.
    const c0 = cpuTicks(d.pid);
    await Bun.sleep(10_000);
    const c1 = cpuTicks(d.pid);
    console.log(`N=${n}: CPU over the first 10 idle s: ${((c1 - c0) * 1000) / CLK_TCK} ms`);
    if (process.env.BENCH_LONG) {
      await Bun.sleep(30_000);
      const c2 = cpuTicks(d.pid);
      await Bun.sleep(30_000);
      console.log(`N=${n}: CPU over 30 idle s, 40 s after the last request: ${((cpuTicks(d.pid) - c2) * 1000) / CLK_TCK} ms`);
    }
    const m1 = memKiB(d.pid);
    console.log(`N=${n}: PSS after the idle period: ${(m1.pss / 1024).toFixed(1)} MiB`);
  }

  // respawn latency: kill -9 → a new pid visible over the socket
  if (n === 200) {
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `s${i}`;
      const old = (await pids(c)).get(name)!;
      const t = performance.now();
      process.kill(old, "SIGKILL");
      for (;;) {
        const body = await c.ok(`command pids service ${name}`);
        const p = Number(body[0]!.split(": ")[1]);
        if (p && p !== old) break;
      }
      lat.push(performance.now() - t);
    }
    console.log(`N=${n}: respawn after kill -9 (socket-observed): median ${ms(median(lat))}, max ${ms(Math.max(...lat))}`);
  }

  // stop of all
  const t1 = performance.now();
  await c.ok("command stop all");
  for (;;) {
    const st = await c.ok("command status");
    if (st.every((l) => l.split("\t")[1] === "stopped" || l.split("\t")[1] === "fail")) break;
  }
  console.log(`N=${n}: stop all → all stopped: ${ms(performance.now() - t1)}`);
}

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length ? sizes : [200, 1000]) await scenario(n);
