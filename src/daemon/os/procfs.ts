/**
 * What /proc says about a process: its start time (the identity that, with
 * the pid, no other process can share), its process group and session, its
 * children, one variable of its environment, and what a group of processes
 * uses. Any pid may exit between two reads: every answer is a snapshot. Linux only; elsewhere every answer is "unknown" (null),
 * and what depends on it (adoption after a crash, memory and CPU in
 * `status -l`) is simply not offered.
 */
import { readdirSync, readFileSync } from "node:fs";
import { C, pageBytes } from "./libc.ts";

export type ProcStat = {
  /** state letter: R, S, D, Z (zombie), T, … */
  state: string;
  ppid: number;
  pgrp: number;
  /** session id */
  sid: number;
  /** utime + stime, seconds */
  cpuSecs: number;
  /** start time after boot, in clock ticks: the process's identity with its pid */
  startTicks: string;
  /** resident set, in pages */
  rssPages: number;
};

/** /proc/PID/stat, parsed; null when the process is gone (or there is no /proc). */
export function procStat(pid: number): ProcStat | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  if (f.length < 20) return null;
  return {
    state: f[0]!,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    sid: Number(f[3]),
    cpuSecs: (Number(f[11]) + Number(f[12])) / C.USER_HZ,
    startTicks: f[19]!,
    rssPages: Number(f[21]),
  };
}

/** The start time of a live (not zombie) process, or null. */
export function startTicks(pid: number): string | null {
  const st = procStat(pid);
  return st === null || st.state === "Z" || st.state === "X" ? null : st.startTicks;
}

/** Is `pid` still the very process that started at `ticks` (and not a zombie)? */
export function sameProcess(pid: number, ticks: string): boolean {
  return startTicks(pid) === ticks;
}

/** Does pid lead its own process group (so a signal can go to the whole group)? */
export function leadsGroup(pid: number): boolean {
  return procStat(pid)?.pgrp === pid;
}

/** A live process (not a zombie, not gone)? */
export function isLive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z" && s.state !== "X";
}

/**
 * Direct children of pid, zombies included. Children hang off the thread
 * that forked them (or, for an adopted orphan, the one the kernel chose),
 * so every thread's list counts.
 */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${t}/children`, "latin1");
    } catch {
      continue;
    }
    for (const p of text.split(" ")) if (p !== "" && p !== "\n") out.push(Number(p));
  }
  return out;
}

/** Every process below the given ones (not the roots themselves), breadth first. */
export function descendantsOf(roots: Iterable<number>): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const queue = [...roots];
  for (let i = 0; i < queue.length; i++) {
    for (const c of childrenOf(queue[i]!)) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** One variable of a process's initial environment; null when unset or unreadable. */
export function envVar(pid: number, key: string): string | null {
  let env: string;
  try {
    env = readFileSync(`/proc/${pid}/environ`, "latin1");
  } catch {
    return null;
  }
  const want = `${key}=`;
  for (const kv of env.split("\0")) if (kv.startsWith(want)) return kv.slice(want.length);
  return null;
}

function rssKib(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export type Usage = { processes: number[]; rssKib: number; cpuSecs: number };

/**
 * What a service's processes use: its process group when it leads one (the
 * `sh -c` case and every worker it forks), else the pid alone. Scans /proc:
 * asked for by `status -l` only, never on the everyday path.
 */
export function usage(pid: number, groupLeader: boolean): Usage | null {
  const pids: number[] = [];
  if (groupLeader) {
    let entries: string[];
    try {
      entries = readdirSync("/proc");
    } catch {
      return null;
    }
    for (const e of entries) {
      const p = Number(e);
      if (!Number.isInteger(p)) continue;
      const st = procStat(p);
      if (st !== null && st.pgrp === pid && st.state !== "Z") pids.push(p);
    }
  } else if (procStat(pid) !== null) pids.push(pid);
  return usageOf(pids);
}

/** What these processes use together; null when there is none. */
export function usageOf(pids: number[]): Usage | null {
  if (pids.length === 0) return null;
  pids = [...pids].sort((a, b) => a - b);
  let rss = 0;
  let cpu = 0;
  for (const p of pids) {
    rss += rssKib(p);
    cpu += procStat(p)?.cpuSecs ?? 0;
  }
  return { processes: pids, rssKib: rss, cpuSecs: Math.round(cpu * 100) / 100 };
}

/** CPU seconds and resident bytes of a process group (or a lone process). */
export type GroupUsage = { cpuSeconds: number; rssBytes: number; processes: number };

let page: number | null = null;

/**
 * One pass over /proc for many services at once (the HTTP face's /metrics
 * and page): `usageOf(pid)` is the usage of the group `pid` leads, else of
 * the process alone — one read per process on the box, not one scan per
 * service. A process that exits between the listing and its read is skipped.
 */
export function processTable(): { usageOf(pid: number): GroupUsage | null } {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return { usageOf: () => null };
  }
  page ??= pageBytes();
  const groups = new Map<number, { cpu: number; pages: number; n: number }>();
  const single = new Map<number, ProcStat>();
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const st = procStat(pid);
    if (st === null || st.state === "Z") continue;
    single.set(pid, st);
    const g = groups.get(st.pgrp);
    if (g) {
      g.cpu += st.cpuSecs;
      g.pages += st.rssPages;
      g.n++;
    } else groups.set(st.pgrp, { cpu: st.cpuSecs, pages: st.rssPages, n: 1 });
  }
  const bytes = page;
  return {
    usageOf(pid) {
      const g = groups.get(pid);
      if (g) return { cpuSeconds: g.cpu, rssBytes: g.pages * bytes, processes: g.n };
      const st = single.get(pid);
      return st ? { cpuSeconds: st.cpuSecs, rssBytes: st.rssPages * bytes, processes: 1 } : null;
    },
  };
}

/** Open descriptors of this process, and its limit; null where /proc is missing. */
export function ownDescriptors(): { open: number; max: number | null } | null {
  try {
    const open = readdirSync("/proc/self/fd").length - 1; // the listing's own descriptor
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "latin1"));
    return { open, max: m && m[1] !== "unlimited" ? Number(m[1]) : null };
  } catch {
    return null;
  }
}
