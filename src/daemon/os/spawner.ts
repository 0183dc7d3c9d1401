/**
 * The process seam: the only module that calls `Bun.spawn`. Every child
 * gets a new session (unless asked not to), stdin on /dev/null or a given
 * descriptor, no other inherited descriptor (Bun opens its own fds
 * close-on-exec and resets signal dispositions and the mask in the child).
 */
import { connect, type Socket } from "node:net";
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { signalNumber } from "./signals.ts";
import { setPriority } from "./libc.ts";
import { inCgroup } from "./cgroup.ts";

export type SpawnRequest = {
  argv: string[];
  /** the child's argv[0] when it must differ from argv[0], the file run */
  argv0?: string;
  env: Record<string, string>;
  cwd?: string;
  newSession: boolean;
  uid?: number;
  gid?: number;
  /** with uid: the supplementary groups (initgroups'), set through setpriv(1) */
  groups?: number[];
  umask?: number;
  /** nice value, applied right after the spawn */
  priority?: number;
  /** fd 0: /dev/null, or a descriptor of the daemon's (a shared socket) */
  stdin: "ignore" | number;
  stdout: "pipe" | "ignore";
  stderr: "pipe" | "ignore";
  /**
   * Two-way channels to the child (a proxy's command, status and log pipes):
   * socket pairs at fds 3, 4, …, before `extraFds`. The daemon's ends come
   * back in `Child.channels`.
   */
  channels?: number;
  /** descriptors to pass after the channels (fds 3, 4, … when there are none) */
  extraFds?: number[];
  /** set LISTEN_PID to the child's own pid (systemd socket activation) */
  listenPid?: boolean;
  /**
   * `ready=fd:N`: a socket pair whose child end is fd N (after everything
   * else; the gap is filled with closed fds); the daemon's end comes back in
   * `Child.ready`.
   */
  readyFd?: number;
  /** a cgroup v2 directory the child starts in (see cgroup.ts: no race with its first fork) */
  cgroup?: string;
};

/**
 * The pids Bun.spawn gave us that Bun has not yet reported ended. Bun reaps
 * these itself (waitpid on each one); the orphan reaper (reaper.ts) must
 * never wait on them, or Bun would lose their exit status. A pid enters
 * before any other JavaScript runs after the spawn and leaves in onExit,
 * after Bun has reaped it.
 */
const spawned = new Set<number>();

/** Is pid a child Bun.spawn started and still owns? */
export function isSpawnedChild(pid: number): boolean {
  return spawned.has(pid);
}

/**
 * LISTEN_PID must be the pid of the process that finally runs, which is
 * known only after the fork: go through /bin/sh, whose `$$` is that pid
 * since `exec` keeps it. The status pid stays the real program's.
 */
const LISTEN_PID_SH = 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"';

function withListenPid(cmd: string[]): string[] {
  return ["/bin/sh", "-c", LISTEN_PID_SH, "sh", ...cmd];
}

/**
 * Bun.spawn's uid/gid drop every supplementary group, and Bun cannot fork
 * to call setgroups(2) in the child: a service with `user=` is started
 * through setpriv(1) (util-linux), which sets the groups, the gid and the
 * uid, then execs the program (same pid). Looked up once; null when the
 * system has none (then Bun's uid/gid, without the groups, and a warning).
 */
let setprivPath: string | null | undefined;
function setpriv(): string | null {
  if (setprivPath === undefined) setprivPath = Bun.which("setpriv", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin" }) ?? null;
  return setprivPath;
}

function withIdentity(req: SpawnRequest & { uid: number; groups: number[] }, cmd: string[], prog: string): string[] {
  const gid = req.gid ?? req.groups[0] ?? req.uid;
  return [prog, `--reuid=${req.uid}`, `--regid=${gid}`, `--groups=${req.groups.join(",")}`, "--", ...cmd];
}

/** The command Bun runs: the program, behind the wrappers the request needs. */
function command(req: SpawnRequest, warnings: string[]): { cmd: string[]; wrapped: boolean; ids: boolean } {
  const prog = req.uid !== undefined && req.groups !== undefined ? setpriv() : null;
  if (req.uid !== undefined && req.groups !== undefined && prog === null) warnings.push("setpriv(1) not found: the user's supplementary groups are not applied");
  if (!req.listenPid && prog === null) return { cmd: req.argv, wrapped: false, ids: true };
  checkExecutable(req.argv[0]!, req);
  let cmd = req.listenPid ? withListenPid(req.argv) : req.argv;
  if (prog !== null) cmd = withIdentity(req as SpawnRequest & { uid: number; groups: number[] }, cmd, prog);
  return { cmd, wrapped: true, ids: prog === null };
}

/**
 * Throw what a direct spawn of `prog` would (same code, same words), so a
 * missing program fails the start instead of becoming sh's exit 127.
 */
function checkExecutable(prog: string, req: SpawnRequest): void {
  if (!prog.includes("/")) {
    if (Bun.which(prog, { PATH: req.env.PATH ?? "", cwd: req.cwd })) return;
    throw Object.assign(new Error(`Executable not found in $PATH: "${prog}"`), { code: "ENOENT" });
  }
  let code: string;
  try {
    const full = resolve(req.cwd ?? process.cwd(), prog);
    accessSync(full, constants.X_OK);
    if (statSync(full).isFile()) return;
    code = "EACCES";
  } catch (e) {
    code = (e as { code?: string }).code ?? "ENOENT";
  }
  const words: Record<string, string> = { ENOENT: "no such file or directory", EACCES: "permission denied" };
  throw Object.assign(new Error(`${code}: ${words[code] ?? "cannot execute"}, posix_spawn '${prog}'`), { code });
}

export type Child = {
  pid: number;
  /** things that went wrong but did not stop the spawn */
  warnings: string[];
  stdout: ReadableStream<Uint8Array> | null;
  stderr: ReadableStream<Uint8Array> | null;
  /** the daemon's ends of the requested channels, in order */
  channels: Socket[];
  /** the daemon's end of the ready pipe (readyFd), else null */
  ready?: Socket | null;
};

export type ExitHandler = (code: number | null, signal: number | null) => void;

/** Spawn a process; throws an Error carrying the OS reason when it cannot. */
export type Spawner = (req: SpawnRequest, onExit: ExitHandler) => Child;

export const bunSpawner: Spawner = (req, onExit) => {
  // Bun may call onExit before spawn() returns; deliver it afterwards, always
  // asynchronously, so the caller has recorded the pid first.
  let returned = false;
  let early: (() => void) | null = null;
  // "socket-fd": a socket pair whose daemon end we own and wrap in a net.Socket
  // (a native stream: see drainBatches in logging/lines.ts on why not WebStreams).
  const channels: string[] = Array.from({ length: req.channels ?? 0 }, () => "socket-fd");
  const stdio: (string | number)[] = [req.stdin, req.stdout, req.stderr, ...channels, ...(req.extraFds ?? [])];
  const readyFd = req.readyFd;
  if (readyFd !== undefined) {
    while (stdio.length < readyFd) stdio.push("ignore");
    stdio[readyFd] = "socket-fd";
  }
  const warnings: string[] = [];
  const run = command(req, warnings);
  const oldMask = req.umask === undefined ? undefined : process.umask(req.umask);
  let proc: ReturnType<typeof Bun.spawn>;
  let ended = false;
  const spawn = () =>
    Bun.spawn({
      cmd: run.cmd,
      argv0: run.wrapped ? undefined : req.argv0, // through a wrapper, the name is the wrapper's
      env: req.env,
      cwd: req.cwd,
      detached: req.newSession,
      uid: run.ids ? req.uid : undefined,
      gid: run.ids ? req.gid : undefined,
      stdio: stdio as ["ignore", "pipe", "pipe"],
      onExit(p, code, sig) {
        ended = true;
        spawned.delete(p.pid);
        const deliver = () => onExit(sig === null || sig === undefined ? code : null, signalNumber(sig));
        if (returned) queueMicrotask(deliver);
        else early = deliver;
      },
    });
  try {
    proc = req.cgroup === undefined ? spawn() : inCgroup(req.cgroup, spawn);
  } finally {
    if (oldMask !== undefined) process.umask(oldMask);
  }
  returned = true;
  if (!ended) spawned.add(proc.pid);
  if (early) queueMicrotask(early);
  if (req.priority !== undefined && req.priority !== 0) {
    const err = setPriority(proc.pid, req.priority);
    if (err) warnings.push(err);
  }
  const fds = proc.stdio as unknown as (number | null)[];
  return {
    pid: proc.pid,
    channels: channels.map((_, i) => connect({ fd: fds[3 + i]! } as unknown as { path: string })),
    ready: readyFd === undefined ? null : connect({ fd: fds[readyFd]! } as unknown as { path: string }),
    warnings,
    stdout: req.stdout === "pipe" ? (proc.stdout as ReadableStream<Uint8Array>) : null,
    stderr: req.stderr === "pipe" ? (proc.stderr as ReadableStream<Uint8Array>) : null,
  };
};
