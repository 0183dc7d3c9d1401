/**
 * cgroup v2, where cfkd may write to it: one cgroup per service, so that
 * "stopped" can mean "every process of the service is gone", checked by the
 * kernel (`cgroup.events: populated 0`) rather than assumed, and a stop can
 * end with `cgroup.kill`, which no double fork or setsid escapes.
 *
 * Layout: cfkd stays in the cgroup it was started in (H) and creates
 * H/cfkd-<pid>/ with one leaf per service, H/cfkd-<pid>/<name>.service.
 * cfkd-<pid> holds no process itself, so controllers (cpu, memory, pids)
 * may be enabled for its leaves where H's parent offers them; when they
 * cannot be, kill/populated/cpu.stat still work (they need no controller).
 *
 * Placing a child without a race: Bun.spawn has no CLONE_INTO_CGROUP, and
 * moving the child after the spawn would let it fork first (a child forked
 * before the move stays outside). So cfkd moves itself into the service's
 * cgroup, spawns (the child inherits the cgroup at fork), and moves itself
 * back, all in one synchronous turn of the event loop: nothing else of
 * cfkd's runs in between, and a migration costs tens of microseconds.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sendSignal, SIGKILL } from "./signals.ts";
import { readQuietly } from "./files.ts";

/** cfkd's own cgroup directory, where it returns after each spawn. */
let home: string | null = null;

export type CgroupRoot = { dir: string; controllers: string[] };

/**
 * Find a writable cgroup v2 hierarchy for cfkd and make its directory.
 * Returns why not when there is none (no cgroup2 mount, read-only,
 * not permitted, not Linux): the caller then uses the fallback.
 */
export function setupCgroups(pid: number): CgroupRoot | string {
  if (process.platform !== "linux") return "not Linux";
  let mountinfo: string, own: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
    own = readFileSync("/proc/self/cgroup", "utf8");
  } catch (e) {
    return `cannot read /proc: ${(e as Error).message}`;
  }
  const mount = cgroup2Mount(mountinfo);
  if (!mount) return "no cgroup2 file system is mounted";
  const line = own.split("\n").find((l) => l.startsWith("0::"));
  if (!line) return "cfkd is in no cgroup v2";
  const path = line.slice(3).replace(/ \(deleted\)$/, "");
  const rel = mount.root === "/" ? path : path === mount.root || path.startsWith(mount.root + "/") ? path.slice(mount.root.length) : null;
  if (rel === null) return `cfkd's cgroup ${path} is outside the cgroup2 mount`;
  const mine = join(mount.point, rel);
  const dir = join(mine, `cfkd-${pid}`);
  removeStale(mine, pid);
  try {
    mkdirSync(dir, { recursive: false });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "EEXIST") return `cannot create ${dir}: ${(e as Error).message}`;
  }
  if (!existsSync(join(dir, "cgroup.events")) || !existsSync(join(mine, "cgroup.procs"))) {
    rmQuietly(dir);
    return `${dir} has no cgroup.events (kernel too old)`;
  }
  try {
    // can cfkd migrate itself? (it must, to place its children)
    writeFileSync(join(mine, "cgroup.procs"), "0");
  } catch (e) {
    rmQuietly(dir);
    return `cannot move processes in ${mine}: ${(e as Error).message}`;
  }
  home = mine;
  return { dir, controllers: enableControllers(mine, dir) };
}

/**
 * A cfkd that was SIGKILLed left its cfkd-PID directory: remove the empty
 * ones whose cfkd is gone. A populated one is left alone (its processes
 * may belong to a cfkd of another PID namespace that shares this cgroup).
 */
function removeStale(mine: string, pid: number): void {
  let entries: string[];
  try {
    entries = readdirSync(mine);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^cfkd-(\d+)$/.exec(e);
    if (!m || Number(m[1]) === pid || existsSync(`/proc/${m[1]}`)) continue;
    const dir = join(mine, e);
    let leaves: string[] = [];
    try {
      leaves = readdirSync(dir).filter((l) => l.endsWith(".service"));
    } catch {
      continue;
    }
    for (const l of leaves) if (!populated(join(dir, l))) rmQuietly(join(dir, l));
    rmQuietly(dir);
  }
}

/** The cgroup2 mount: its mount point and the cgroup path mounted there. */
export function cgroup2Mount(mountinfo: string): { point: string; root: string } | null {
  for (const l of mountinfo.split("\n")) {
    const dash = l.indexOf(" - ");
    if (dash < 0 || !l.slice(dash + 3).startsWith("cgroup2 ")) continue;
    const f = l.slice(0, dash).split(" ");
    return { root: unescape(f[3]!), point: unescape(f[4]!) };
  }
  return null;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Enable what is on offer for the service leaves, one controller at a time
 * (one refused must not cost the others). H's own subtree_control can only
 * be changed while H holds no process, so normally only the root cgroup
 * (a PID-1 cfkd with its own cgroup namespace) gets further than its parent
 * already allows.
 */
function enableControllers(mine: string, dir: string): string[] {
  const offered = (d: string) => readQuietly(join(d, "cgroup.controllers")).split(/\s+/).filter(Boolean);
  for (const c of ["cpu", "memory", "pids"]) {
    if (offered(mine).includes(c)) tryWrite(join(mine, "cgroup.subtree_control"), `+${c}`);
  }
  const on: string[] = [];
  for (const c of ["cpu", "memory", "pids"]) {
    if (offered(dir).includes(c) && tryWrite(join(dir, "cgroup.subtree_control"), `+${c}`)) on.push(c);
  }
  return on;
}

/**
 * Run `spawn` with cfkd inside `dir`, so the child starts there; cfkd goes
 * back home whatever happens. If cfkd cannot enter (the cgroup was removed
 * by hand), the child is started where cfkd is and moved afterwards: late,
 * but better than nowhere.
 */
export function inCgroup<T extends { pid: number }>(dir: string, spawn: () => T): T {
  if (home === null || !tryWrite(join(dir, "cgroup.procs"), "0")) {
    const child = spawn();
    tryWrite(join(dir, "cgroup.procs"), String(child.pid));
    return child;
  }
  try {
    return spawn();
  } finally {
    writeFileSync(join(home, "cgroup.procs"), "0");
  }
}

/** Make (or reuse) a service's cgroup. */
export function makeCgroup(dir: string): string | null {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") return (e as Error).message;
  }
  return null;
}

/** The pids in a cgroup now. */
export function cgroupPids(dir: string): number[] {
  return readQuietly(join(dir, "cgroup.procs")).split("\n").filter(Boolean).map(Number);
}

export function populated(dir: string): boolean {
  return /^populated 1$/m.test(readQuietly(join(dir, "cgroup.events")));
}

/** SIGKILL every process in the cgroup: cgroup.kill (Linux 5.14+), else one by one. */
export function killCgroup(dir: string): void {
  if (tryWrite(join(dir, "cgroup.kill"), "1")) return;
  for (const pid of cgroupPids(dir)) sendSignal(pid, SIGKILL);
}

/** Send a signal to every process in the cgroup. */
export function signalCgroup(dir: string, signal: number): void {
  for (const pid of cgroupPids(dir)) sendSignal(pid, signal);
}

/**
 * Resolves true once `cgroup.events` says `populated 0`, false at the
 * deadline. Woken by inotify on cgroup.events (the kernel notifies each
 * change), so waiting costs nothing; the deadline timer is the only timer.
 */
export function waitEmpty(dir: string, ms: number): Promise<boolean> {
  if (!populated(dir)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      w?.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(!populated(dir)), ms);
    let w: ReturnType<typeof watch> | null = null;
    try {
      w = watch(join(dir, "cgroup.events"), () => {
        if (!populated(dir)) finish(true);
      });
      w.on("error", () => undefined);
    } catch {
      /* no inotify: the deadline decides */
    }
    // the last process may have left between the first check and the watch
    if (!populated(dir)) finish(true);
  });
}

/** CPU time (µs) and memory (bytes, when the controller is on) of a cgroup. */
export function cgroupUsage(dir: string): { cpuUsec: number | null; memoryBytes: number | null } {
  const cpu = /^usage_usec (\d+)$/m.exec(readQuietly(join(dir, "cpu.stat")));
  const mem = readQuietly(join(dir, "memory.current")).trim();
  return { cpuUsec: cpu ? Number(cpu[1]) : null, memoryBytes: mem === "" ? null : Number(mem) };
}

/** Remove an empty cgroup; false when it is still in use (or gone). */
export function removeCgroup(dir: string): boolean {
  return rmQuietly(dir);
}

function rmQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function tryWrite(file: string, text: string): boolean {
  try {
    writeFileSync(file, text);
    return true;
  } catch {
    return false;
  }
}
