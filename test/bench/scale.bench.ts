/**
 * Scale benchmark (issue 19, target 5). Run: npx bun test/bench/scale.bench.ts [N] [--declare M]
 * Default N=3000. In one run:
 *  - N × a bare Bun.spawn of `sleep` with piped stdout/stderr (the baseline);
 *  - cfkd: declare N services, `command start all` on one connection while a
 *    second connection asks `command version` back to back: the longest wait
 *    for a version reply, and the time until all N run (every pid in /proc);
 *  - a declaration of M=10,000 services (default) loads, `list` shows them all.
 * Targets: version waits ≤ 100 ms; all N running ≤ 2 × the bare spawns.
 * Noisy on a shared machine: the ratio is the figure, both sides run here.
 */
import { existsSync } from "node:fs";
import { DaemonProcess, type Client } from "../harness.ts";

const args = process.argv.slice(2);
const mIdx = args.indexOf("--declare");
const M = mIdx >= 0 ? Number(args[mIdx + 1]) : 10_000;
const N = Number(args.find((a, i) => i !== mIdx + 1 && /^\d+$/.test(a)) ?? 3000);
const ms = (t: number) => `${t.toFixed(0)} ms`;

/** One request, OK expected, with a deadline long enough for the slowest case measured. */
async function ok(c: Client, line: string): Promise<string[]> {
  const r = await c.request(line, 120_000);
  if (r.error !== undefined) throw new Error(`${line}: ${r.error}`);
  return r.body;
}

/** Pipeline many requests on one connection; throws on the first error. */
async function pipeline(c: Client, lines: string[]): Promise<void> {
  const CHUNK = 2000;
  for (let i = 0; i < lines.length; i += CHUNK) {
    const part = lines.slice(i, i + CHUNK);
    c.send(part.map((l) => l + "\n").join(""));
    for (const l of part) {
      const r = await c.next(60_000);
      if (r.error !== undefined) throw new Error(`${l}: ${r.error}`);
    }
  }
}

async function bareSpawns(n: number): Promise<number> {
  const t0 = performance.now();
  const procs = [];
  for (let i = 0; i < n; i++) procs.push(Bun.spawn(["sleep", "1000"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
  while (!procs.every((p) => existsSync(`/proc/${p.pid}`))) await Bun.sleep(1);
  const t = performance.now() - t0;
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  return t;
}

async function cfkdStartAll(n: number): Promise<{ all: number; maxWait: number; probes: number; reply: number; waits: number[] }> {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  await using probe = await d.client();
  const decl: string[] = [];
  for (let i = 0; i < n; i++) decl.push(`service s${i} cmd=sleep 1000`);
  await pipeline(c, decl);

  let running = true;
  let maxWait = 0;
  let probes = 0;
  let measuring = false;
  const waits: number[] = [];
  const prober = (async () => {
    while (running) {
      const t = performance.now();
      await ok(probe, "command version");
      if (!measuring) continue;
      const w = performance.now() - t;
      maxWait = Math.max(maxWait, w);
      waits.push(w);
      probes++;
    }
  })();
  await Bun.sleep(50); // the prober is in its stride
  const t0 = performance.now();
  measuring = true;
  await ok(c, "command start all");
  const reply = performance.now() - t0;
  for (;;) {
    const body = await ok(c, "command pids");
    const pids = body.map((l) => Number(l.split(": ")[1]));
    if (pids.every((p) => p > 0 && existsSync(`/proc/${p}`))) break;
    await Bun.sleep(5);
  }
  const all = performance.now() - t0;
  running = false;
  measuring = false;
  await prober;
  await ok(c, "command stop all");
  return { all, maxWait, probes, reply, waits };
}

async function declareMany(m: number): Promise<{ t: number; listed: number; status: number }> {
  await using d = await DaemonProcess.start();
  await using c = await d.client();
  const decl: string[] = [];
  for (let i = 0; i < m; i++) decl.push(`service s${i} cmd=sleep 1000`, `service s${i} tags=many`);
  const t0 = performance.now();
  await pipeline(c, decl);
  const t = performance.now() - t0;
  const listed = (await ok(c, "command list")).length;
  const t1 = performance.now();
  await ok(c, "command status");
  return { t, listed, status: performance.now() - t1 };
}

const base = await bareSpawns(N);
const r = await cfkdStartAll(N);
console.log(`N=${N}: ${N} bare spawns (this process) → all in /proc: ${ms(base)}`);
console.log(`N=${N}: cfkd start all → all in /proc: ${ms(r.all)} (start all replied after ${ms(r.reply)})`);
console.log(`  ratio cfkd / bare spawns: ${(r.all / base).toFixed(2)}×   target ≤ 2×`);
const sorted = [...r.waits].sort((a, b) => a - b);
const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
console.log(`  longest \`command version\` wait during start all: ${ms(r.maxWait)} over ${r.probes} requests (p99 ${ms(p99)}, ${sorted.filter((w) => w > 100).length} over 100 ms)   target ≤ 100 ms`);
console.log(`  (load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}: waits on a busy machine include time nobody ran)`);
if (M > 0) {
  const m = await declareMany(M);
  console.log(`M=${M}: declared ${M} services (${2 * M} statements) in ${ms(m.t)}; list shows ${m.listed}; status of all ${ms(m.status)}   target: works (${m.listed === M ? "yes" : "NO"})`);
}
