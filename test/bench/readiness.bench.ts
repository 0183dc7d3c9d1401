/**
 * Issue 14, acceptance 7: readiness latency and cost, side by side with
 * plain `startwait` services in the same run.
 *  1. signal → `running` (median, p90) for `ready=fd:3` and `ready=notify`,
 *     each of 200 services told to signal one at a time (a FIFO); the time
 *     runs from the service's own clock reading just before it signals to
 *     the `command wait` reply reaching this client (so it is an upper
 *     bound: the reply's trip is in it). Target: median ≤ 2 ms.
 *  2. 200 services that signal at once, from `start` to all `running`,
 *     against 200 `startwait_secs=0` services. Target: ≤ 1.5×.
 *  3. cfkd's CPU over an idle period with 200 `notify` services, against
 *     one with 200 `startwait` services. Target: 0 ms more.
 *
 *   node_modules/.bin/bun test/bench/readiness.bench.ts [--idle SECS] [--n N]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonProcess, FIXTURES, procStat, tempDir, waitFor } from "../harness.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--n", 200);
const IDLE = arg("--idle", 30);
const SIGNAL = join(FIXTURES, "ready-signal.pl");
const TICK_MS = 1000 / 100; // USER_HZ
using dir = tempDir("cfk-bench-ready-");

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.floor(s.length * 0.9)]! };
};
const nowMs = () => performance.timeOrigin + performance.now();

async function declare(d: DaemonProcess, name: string, props: Record<string, string>): Promise<void> {
  await using c = await d.client();
  for (const [k, v] of Object.entries(props)) await c.ok(`service ${name} ${k}=${v}`);
}

/** 1. One at a time: FIFO → signal → running. */
async function latency(mode: "fd" | "notify"): Promise<{ median: number; p90: number }> {
  await using d = await DaemonProcess.start();
  for (let i = 0; i < N; i++) {
    const fifo = join(dir.path, `${mode}-${i}.fifo`);
    Bun.spawnSync(["mkfifo", fifo]);
    await declare(d, `r${i}`, { cmd: JSON.stringify([SIGNAL, mode, fifo, join(dir.path, `${mode}-${i}.stamp`)]), ready: mode === "fd" ? "fd:3" : "notify", tags: "r" });
  }
  await d.ok("command start tag r");
  await waitFor(async () => (await d.ok("command status tag r")).every((l) => l.split("\t")[2] !== ""), "every pid", 30_000);
  await using c = await d.client();
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const reply = c.request(`command wait --timeout 10 service r${i}`, 15_000);
    writeFileSync(join(dir.path, `${mode}-${i}.fifo`), "go\n"); // blocks until the service opened it
    const r = await reply;
    const t = nowMs();
    if (r.error !== undefined) throw new Error(`r${i}: ${r.error}`);
    // the service writes its stamp after signalling: it may come after the reply
    const stamp = join(dir.path, `${mode}-${i}.stamp`);
    const when = await waitFor(() => (existsSync(stamp) && readFileSync(stamp, "utf8")) || null, "the stamp");
    ms.push(t - Number(when) * 1000);
  }
  return stats(ms);
}

/** 2. All at once: `start` → every one running. */
async function burst(props: Record<string, string>): Promise<number> {
  await using d = await DaemonProcess.start();
  for (let i = 0; i < N; i++) await declare(d, `b${i}`, { ...props, tags: "b" });
  await using c = await d.client();
  const t = performance.now();
  await c.ok("command start tag b");
  const r = await c.request("command wait --timeout 60 tag b", 65_000);
  if (r.error !== undefined) throw new Error(r.error);
  return performance.now() - t;
}

/** 3. cfkd's CPU (ms) over IDLE seconds with N running services. */
async function idle(props: Record<string, string>): Promise<number> {
  await using d = await DaemonProcess.start();
  for (let i = 0; i < N; i++) await declare(d, `i${i}`, { ...props, tags: "i" });
  await using c = await d.client();
  await c.ok("command start tag i");
  const r = await c.request("command wait --timeout 60 tag i", 65_000);
  if (r.error !== undefined) throw new Error(r.error);
  await Bun.sleep(1000); // let start-up settle
  const before = procStat(d.pid)!.cpuTicks;
  await Bun.sleep(IDLE * 1000);
  return (procStat(d.pid)!.cpuTicks - before) * TICK_MS;
}

const fmt = (x: number) => `${x.toFixed(2)} ms`;
console.log(`readiness, ${N} services each\n`);
const fd = await latency("fd");
const nt = await latency("notify");
console.log("signal → running (upper bound: includes the wait reply's trip)");
console.log(`  ready=fd:3     median ${fmt(fd.median)}  p90 ${fmt(fd.p90)}`);
console.log(`  ready=notify   median ${fmt(nt.median)}  p90 ${fmt(nt.p90)}   (target: median ≤ 2 ms)\n`);

// the fd services are sh (as cheap to start as sleep); notify needs a program
// that can send a datagram (perl), so it is also compared with that program
// under startwait
const sw = await burst({ cmd: "sleep 1000", startwait_secs: "0" });
const swPerl = await burst({ cmd: JSON.stringify([SIGNAL, "none"]), startwait_secs: "0" });
const bfd = await burst({ cmd: `["/bin/sh","-c","echo >&3; exec sleep 1000"]`, ready: "fd:3" });
const bnt = await burst({ cmd: JSON.stringify([SIGNAL, "notify"]), ready: "notify" });
console.log(`start → all ${N} running`);
console.log(`  startwait_secs=0, sleep            ${fmt(sw)}`);
console.log(`  ready=fd:3, sh 'echo >&3'          ${fmt(bfd)}   ${(bfd / sw).toFixed(2)}× sleep   (target ≤ 1.5×)`);
console.log(`  startwait_secs=0, the perl program ${fmt(swPerl)}`);
console.log(`  ready=notify, the perl program     ${fmt(bnt)}   ${(bnt / swPerl).toFixed(2)}× perl under startwait   (target ≤ 1.5×)\n`);

const base = await idle({ cmd: "sleep 1000", startwait_secs: "0" });
const withNotify = await idle({ cmd: JSON.stringify([SIGNAL, "notify"]), ready: "notify" });
console.log(`cfkd CPU over ${IDLE} s idle`);
console.log(`  ${N} startwait services   ${base.toFixed(0)} ms`);
console.log(`  ${N} notify services      ${withNotify.toFixed(0)} ms   (target: no more than without)`);
