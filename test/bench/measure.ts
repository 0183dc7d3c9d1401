/**
 * What the benchmarks read from /proc (Linux): a process's CPU time, its
 * wakeups (context switches of all its threads), its memory.
 */
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = 100;

/** CPU time (user + system) of a process and its threads, dead ones included, in ms. */
export function cpuMs(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** RSS and PSS of a process, in KiB. */
export function memKiB(pid: number): { rss: number; pss: number } {
  const r = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(r)?.[1] ?? 0);
  return { rss: get("Rss"), pss: get("Pss") };
}

/** Sum of PSS over a process tree (a supervisor and its helpers), in KiB. */
export function treePssKiB(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) {
    try {
      sum += memKiB(p).pss;
    } catch {
      /* gone */
    }
  }
  return sum;
}

function switchesByThread(pid: number): Map<string, number> {
  // keyed "tid name": the name says which of the runtime's threads woke
  const m = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return m;
  }
  for (const t of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/status`, "utf8");
      const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(s);
      const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s);
      const name = /^Name:\s+(.*)$/m.exec(s)?.[1] ?? "?";
      m.set(`${t} ${name}`, Number(v?.[1] ?? 0) + Number(n?.[1] ?? 0));
    } catch {
      /* the thread ended */
    }
  }
  return m;
}

/**
 * Watch a process for `ms`: its CPU time and its wakeups, counted as context
 * switches of every thread (threads that start or end meanwhile included, up
 * to the last look at them, every 500 ms). Reading /proc does not wake it.
 */
export async function idle(pid: number, ms: number): Promise<{ cpuMs: number; wakeups: number; perSec: number; byThread: Map<string, number> }> {
  const first = switchesByThread(pid);
  const last = new Map(first);
  const c0 = cpuMs(pid);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await Bun.sleep(Math.min(500, Math.max(0, end - performance.now())));
    for (const [t, n] of switchesByThread(pid)) last.set(t, n);
  }
  const c1 = cpuMs(pid);
  let wakeups = 0;
  const byThread = new Map<string, number>();
  for (const [t, n] of last) {
    const d = n - (first.get(t) ?? 0);
    wakeups += d;
    const name = t.slice(t.indexOf(" ") + 1);
    if (d > 0) byThread.set(name, (byThread.get(name) ?? 0) + d);
  }
  return { cpuMs: c1 - c0, wakeups, perSec: wakeups / (ms / 1000), byThread };
}
