/**
 * Idle benchmark (issue 19, target 4). Run: npx bun test/bench/idle.bench.ts [--short]
 * 200 services (`sleep`) running under cfkd; from 2 s after the last request,
 * 30 s (--short: 5 s) of watching: CPU time and wakeups (context switches of
 * all its threads). Side by side in the same run: a bare Bun program holding
 * 200 `sleep` children with piped output, as Bun runs it by default (its GC
 * timer on), and the same with BUN_GC_TIMER_DISABLE=1.
 * Last, cfkd again with a console client left connected (idle): Bun's socket
 * layer then wakes the event loop about every second, which is not ours.
 * Target: cfkd 0 ms of CPU and ≤ 1 wakeup/s.
 */
import { existsSync } from "node:fs";
import { BUN, DaemonProcess } from "../harness.ts";
import { idle } from "./measure.ts";

const SHORT = process.argv.includes("--short");
const WINDOW = SHORT ? 5_000 : 30_000;
const N = 200;

type Row = { who: string; cpuMs: number; perSec: number; byThread: Map<string, number> };

/** cfkd with N services; `holdConnection`: a console client stays connected, idle. */
async function cfkd(holdConnection: boolean): Promise<Row> {
  await using d = await DaemonProcess.start();
  const c = await d.client();
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(`service s${i} cmd=sleep 1000`);
  lines.push("command start all");
  c.send(lines.map((l) => l + "\n").join(""));
  for (const l of lines) if ((await c.next(30_000)).error) throw new Error(l);
  for (;;) {
    const st = await c.ok("command status");
    if (st.every((l) => l.split("\t")[1] === "running")) break;
    await Bun.sleep(50);
  }
  if (!holdConnection) await c[Symbol.asyncDispose]();
  await Bun.sleep(2000);
  const r = await idle(d.pid, WINDOW);
  if (!holdConnection) return { who: "cfkd", ...r };
  await c.ok("command stop all");
  await c[Symbol.asyncDispose]();
  return { who: "cfkd, a console client connected", ...r };
}

/** A bare Bun program: 200 children, their output read, nothing else. */
async function bare(gcTimerOff: boolean): Promise<Row> {
  const script = `
    const ps = [];
    for (let i = 0; i < ${N}; i++) {
      const p = Bun.spawn(["sleep", "1000"], { stdout: "pipe", stderr: "pipe" });
      ps.push(p);
      (async () => { for await (const _ of p.stdout) {} })();
      (async () => { for await (const _ of p.stderr) {} })();
    }
    process.on("SIGTERM", () => { for (const p of ps) p.kill(9); process.exit(0); });
    console.log("ready");
  `;
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.BUN_GC_TIMER_DISABLE;
  if (gcTimerOff) env.BUN_GC_TIMER_DISABLE = "1";
  const p = Bun.spawn([BUN, "-e", script], { stdout: "pipe", env });
  const reader = p.stdout.getReader();
  await reader.read(); // "ready"
  while (!existsSync(`/proc/${p.pid}`)) await Bun.sleep(10);
  await Bun.sleep(2000);
  const r = await idle(p.pid, WINDOW);
  p.kill("SIGTERM");
  await p.exited;
  return { who: gcTimerOff ? "bare Bun, BUN_GC_TIMER_DISABLE=1" : "bare Bun, defaults", ...r };
}

const rows = [await cfkd(false), await bare(false), await bare(true), await cfkd(true)];
console.log(`idle with ${N} services/children, ${WINDOW / 1000} s from 2 s after the last activity:`);
for (const r of rows) {
  const threads = [...r.byThread].map(([t, n]) => `${t} ${n}`).join(", ");
  console.log(`  ${r.who.padEnd(34)} CPU ${r.cpuMs.toFixed(0).padStart(4)} ms   wakeups ${r.perSec.toFixed(2).padStart(6)}/s   (${threads || "none"})`);
}
const c = rows[0]!;
console.log(`  target: cfkd CPU 0 ms (measured ${c.cpuMs.toFixed(0)} ms), ≤ 1 wakeup/s (measured ${c.perSec.toFixed(2)}/s)`);
