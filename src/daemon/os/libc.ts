/**
 * The one module that calls into libc through bun:ffi, for what Bun has no
 * API for: process priority, and the descriptor-level socket work behind
 * shared listening sockets (close-on-exec duplicates, listen(2) backlogs,
 * O_NONBLOCK, unix-domain binds, getsockname), and the PID-1 duties (child
 * subreaper, reaping adopted orphans by pid). Loaded lazily: a daemon that
 * never needs it never opens libc. Platform constants live here too (Linux
 * and macOS).
 *
 * Also the descriptor limit (getrlimit/setrlimit RLIMIT_NOFILE, and a probe
 * for a free descriptor) and flock(2) for the home's lock.
 *
 * Calls that fail return a `Failure` carrying errno and strerror's text
 * (e.g. "Address already in use"); nothing here throws for an OS error.
 */
import { dlopen, FFIType, ptr, read, suffix } from "bun:ffi";

const isMac = process.platform === "darwin";

const linux = {
  PRIO_PROCESS: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0o4000,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOL_SOCKET: 1,
  SO_TYPE: 3,
  SO_ACCEPTCONN: 30,
  SOMAXCONN: 4096,
  EBADF: 9,
  EAGAIN: 11,
  ENOENT: 2,
  EINPROGRESS: 115,
  ECONNREFUSED: 111,
  EADDRINUSE: 98,
  EMFILE: 24,
  ENFILE: 23,
  EWOULDBLOCK: 11,
  RLIMIT_NOFILE: 7,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  /** bytes of sun_path, including the terminating NUL */
  UNIX_PATH_MAX: 108,
  /** clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on every Linux ABI) */
  USER_HZ: 100,
  MADV_DONTNEED: 4,
  /** prctl(2) option: orphaned descendants are reparented to this process */
  PR_SET_CHILD_SUBREAPER: 36,
  WNOHANG: 1,
  ECHILD: 10,
  _SC_PAGESIZE: 30,
};

const darwin: typeof linux = {
  PRIO_PROCESS: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 67,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0x4,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 30,
  SOCK_STREAM: 1,
  SOL_SOCKET: 0xffff,
  SO_TYPE: 0x1008,
  SO_ACCEPTCONN: 0x2,
  SOMAXCONN: 128,
  EBADF: 9,
  EAGAIN: 35,
  ENOENT: 2,
  EINPROGRESS: 36,
  ECONNREFUSED: 61,
  EADDRINUSE: 48,
  EMFILE: 24,
  ENFILE: 23,
  EWOULDBLOCK: 35,
  RLIMIT_NOFILE: 8,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  UNIX_PATH_MAX: 104,
  USER_HZ: 100, // no /proc on macOS: unused
  MADV_DONTNEED: 4,
  PR_SET_CHILD_SUBREAPER: -1, // Linux only
  WNOHANG: 1,
  ECHILD: 10,
  _SC_PAGESIZE: 29,
};

/** Platform constants. */
export const C: Readonly<typeof linux> = isMac ? darwin : linux;

/** An OS call that failed: errno and the C library's words for it. */
export type Failure = { readonly failed: true; readonly errno: number; readonly message: string };

export const isFailure = (x: unknown): x is Failure =>
  typeof x === "object" && x !== null && (x as { failed?: unknown }).failed === true;

function libcPath(): string {
  if (isMac) return `libc.${suffix}`;
  return "libc.so.6";
}

const I32 = FFIType.i32;

// fcntl(2) is variadic. On x86-64 and Linux/arm64 a variadic int travels in
// the same register as a fixed one, so a fixed 3-argument signature works.
// Apple's arm64 ABI passes variadic arguments on the stack instead: there we
// declare 8 fixed register arguments so that the 9th, the real `arg`, lands
// where fcntl's va_arg reads it.
const appleArm = isMac && process.arch === "arm64";
const fcntlArgs = appleArm ? [I32, I32, I32, I32, I32, I32, I32, I32, I32] : [I32, I32, I32];

function open() {
  return dlopen(libcPath(), {
    setpriority: { args: [I32, FFIType.u32, I32], returns: I32 },
    [isMac ? "__error" : "__errno_location"]: { args: [], returns: FFIType.ptr },
    strerror: { args: [I32], returns: FFIType.cstring },
    fcntl: { args: fcntlArgs, returns: I32 },
    close: { args: [I32], returns: I32 },
    socket: { args: [I32, I32, I32], returns: I32 },
    bind: { args: [I32, FFIType.ptr, FFIType.u32], returns: I32 },
    connect: { args: [I32, FFIType.ptr, FFIType.u32], returns: I32 },
    listen: { args: [I32, I32], returns: I32 },
    getsockname: { args: [I32, FFIType.ptr, FFIType.ptr], returns: I32 },
    getsockopt: { args: [I32, I32, I32, FFIType.ptr, FFIType.ptr], returns: I32 },
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: I32 },
    madvise: { args: [FFIType.u64, FFIType.u64, I32], returns: I32 },
    getrlimit: { args: [I32, FFIType.ptr], returns: I32 },
    setrlimit: { args: [I32, FFIType.ptr], returns: I32 },
    flock: { args: [I32, I32], returns: I32 },
    setsockopt: { args: [I32, I32, I32, FFIType.ptr, FFIType.u32], returns: I32 },
    ...(isMac ? {} : { pipe2: { args: [FFIType.ptr, I32], returns: I32 } }),
    write: { args: [I32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    waitpid: { args: [I32, FFIType.ptr, I32], returns: I32 },
    ...(isMac ? {} : { prctl: { args: [I32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: I32 } }),
    sysconf: { args: [I32], returns: FFIType.i64 },
  });
}

let lib: ReturnType<typeof open> | null = null;

function libc() {
  lib ??= open();
  return lib.symbols;
}

/** errno of the call that just failed; read at once, before anything else runs. */
function errno(): number {
  const s = libc() as unknown as Record<string, () => number | null>;
  const p = s[isMac ? "__error" : "__errno_location"]!();
  return p ? read.i32(p as never, 0) : 0;
}

/** strerror(3): the C library's text for an errno. */
export function strerror(code: number): string {
  return String(libc().strerror(code) ?? `errno ${code}`);
}

/** Turn a -1 return into a Failure (errno read at once). */
function check(r: number, what: string): number | Failure {
  if (r !== -1) return r;
  const e = errno();
  return { failed: true, errno: e, message: e ? strerror(e) : `${what} failed` };
}

function fcntl(fd: number, cmd: number, arg: number): number {
  const f = libc().fcntl as unknown as (...a: number[]) => number;
  return appleArm ? f(fd, cmd, 0, 0, 0, 0, 0, 0, arg) : f(fd, cmd, arg);
}

/** The page size, the unit of /proc/PID/stat's resident set (4 KiB, or 16/64 KiB on some arm64). */
export function pageBytes(): number {
  return Number(libc().sysconf(C._SC_PAGESIZE));
}

/** setpriority(PRIO_PROCESS, pid, prio); returns an error text or null. */
export function setPriority(pid: number, prio: number): string | null {
  const r = libc().setpriority(C.PRIO_PROCESS, pid, prio);
  return r === 0 ? null : `setpriority(${pid}, ${prio}) failed`;
}

/** fcntl(fd, F_DUPFD_CLOEXEC, 3): a close-on-exec duplicate numbered 3 or above. */
export function dupCloexec(fd: number): number | Failure {
  return check(fcntl(fd, C.F_DUPFD_CLOEXEC, 3), "fcntl(F_DUPFD_CLOEXEC)");
}

/** Set the close-on-exec flag on fd. */
export function setCloexec(fd: number): Failure | null {
  const flags = check(fcntl(fd, C.F_GETFD, 0), "fcntl(F_GETFD)");
  if (typeof flags !== "number") return flags;
  const r = check(fcntl(fd, C.F_SETFD, flags | C.FD_CLOEXEC), "fcntl(F_SETFD)");
  return typeof r === "number" ? null : r;
}

/** Is the close-on-exec flag set on fd? */
export function isCloexec(fd: number): boolean | Failure {
  const r = check(fcntl(fd, C.F_GETFD, 0), "fcntl(F_GETFD)");
  return typeof r === "number" ? (r & C.FD_CLOEXEC) !== 0 : r;
}

/** Is O_NONBLOCK set on fd's open file description? */
export function isNonblocking(fd: number): boolean | Failure {
  const r = check(fcntl(fd, C.F_GETFL, 0), "fcntl(F_GETFL)");
  return typeof r === "number" ? (r & C.O_NONBLOCK) !== 0 : r;
}

/**
 * Set or clear O_NONBLOCK. It belongs to the open file description, so it
 * applies to every duplicate of the socket, in the daemon and in children.
 */
export function setNonblocking(fd: number, on: boolean): Failure | null {
  const flags = check(fcntl(fd, C.F_GETFL, 0), "fcntl(F_GETFL)");
  if (typeof flags !== "number") return flags;
  const want = on ? flags | C.O_NONBLOCK : flags & ~C.O_NONBLOCK;
  if (want === flags) return null;
  const r = check(fcntl(fd, C.F_SETFL, want), "fcntl(F_SETFL)");
  return typeof r === "number" ? null : r;
}

/** listen(2): (re)sets the backlog of a socket. */
export function listen(fd: number, backlog: number): Failure | null {
  const r = check(libc().listen(fd, backlog), "listen");
  return typeof r === "number" ? null : r;
}

/** close(2). */
export function close(fd: number): Failure | null {
  const r = check(libc().close(fd), "close");
  return typeof r === "number" ? null : r;
}

/** getsockopt(SOL_SOCKET, SO_ACCEPTCONN): is fd a socket in listening state? */
export function isListening(fd: number): boolean | Failure {
  const v = new Int32Array(1);
  const len = new Uint32Array([4]);
  const r = check(libc().getsockopt(fd, C.SOL_SOCKET, C.SO_ACCEPTCONN, v, len), "getsockopt");
  return typeof r === "number" ? v[0] !== 0 : r;
}

/** A decoded socket address. */
export type SockName =
  | { family: "inet" | "inet6"; port: number; addr: Uint8Array }
  | { family: "unix"; path: string }
  | { family: "other"; code: number };

/** getsockname(2), decoded. */
export function getSockName(fd: number): SockName | Failure {
  const buf = new Uint8Array(128); // sizeof(struct sockaddr_storage)
  const len = new Uint32Array([buf.length]);
  const r = check(libc().getsockname(fd, buf, len), "getsockname");
  if (typeof r !== "number") return r;
  const family = isMac ? buf[1]! : buf[0]! | (buf[1]! << 8);
  const port = (buf[2]! << 8) | buf[3]!;
  if (family === C.AF_INET) return { family: "inet", port, addr: buf.slice(4, 8) };
  if (family === C.AF_INET6) return { family: "inet6", port, addr: buf.slice(8, 24) };
  if (family === C.AF_UNIX) {
    const end = Math.min(len[0]!, buf.length);
    const raw = buf.subarray(2, end);
    const nul = raw.indexOf(0);
    return { family: "unix", path: Buffer.from(nul >= 0 ? raw.subarray(0, nul) : raw).toString() };
  }
  return { family: "other", code: family };
}

/** struct sockaddr_un for path, or a Failure when the path cannot fit. */
function sockaddrUn(path: string): Uint8Array | Failure {
  const bytes = Buffer.from(path);
  if (bytes.length === 0 || bytes.length >= C.UNIX_PATH_MAX || bytes.includes(0)) {
    return { failed: true, errno: 0, message: `unix socket path must be 1 to ${C.UNIX_PATH_MAX - 1} bytes` };
  }
  const sa = new Uint8Array(2 + C.UNIX_PATH_MAX);
  if (isMac) {
    sa[0] = sa.length;
    sa[1] = C.AF_UNIX;
  } else {
    sa[0] = C.AF_UNIX & 0xff;
    sa[1] = C.AF_UNIX >> 8;
  }
  sa.set(bytes, 2);
  return sa;
}

/** socket(AF_UNIX, SOCK_STREAM) moved to a close-on-exec fd ≥ 3. */
function unixSocket(): number | Failure {
  const raw = check(libc().socket(C.AF_UNIX, C.SOCK_STREAM, 0), "socket");
  if (typeof raw !== "number") return raw;
  const fd = dupCloexec(raw);
  close(raw);
  return fd;
}

/**
 * A listening unix-domain socket at path: socket, bind, listen. The caller
 * removes a stale file first. Returns a close-on-exec fd ≥ 3.
 */
export function listenUnix(path: string, backlog: number): number | Failure {
  const sa = sockaddrUn(path);
  if (isFailure(sa)) return sa;
  const fd = unixSocket();
  if (typeof fd !== "number") return fd;
  const r = check(libc().bind(fd, sa, sa.length), "bind");
  const err = typeof r === "number" ? listen(fd, backlog) : r;
  if (err) {
    close(fd);
    return err;
  }
  return fd;
}

/**
 * Does a process listen on the unix socket at path? A non-blocking connect
 * answers at once: refused means the file is stale; success, or "try again"
 * (its backlog is full), means it is alive.
 */
export function unixSocketAnswers(path: string): boolean | Failure {
  const sa = sockaddrUn(path);
  if (isFailure(sa)) return sa;
  const fd = unixSocket();
  if (typeof fd !== "number") return fd;
  try {
    const nb = setNonblocking(fd, true);
    if (nb) return nb;
    const r = check(libc().connect(fd, sa, sa.length), "connect");
    if (typeof r === "number") return true;
    if (r.errno === C.EAGAIN || r.errno === C.EINPROGRESS) return true;
    if (r.errno === C.ECONNREFUSED || r.errno === C.ENOENT) return false;
    return r;
  } finally {
    close(fd);
  }
}

/**
 * execve(2): replace this process's program, keeping its pid, descriptors
 * without close-on-exec, and session. Returns only when it failed.
 */
export function execve(path: string, argv: readonly string[], env: Readonly<Record<string, string>>): Failure {
  const keep: Buffer[] = []; // the strings must outlive the call
  const cstr = (t: string) => {
    const b = Buffer.from(`${t}\0`);
    keep.push(b);
    return ptr(b);
  };
  const vector = (items: readonly string[]): BigUint64Array => {
    const v = new BigUint64Array(items.length + 1); // NULL-terminated
    items.forEach((t, i) => (v[i] = BigInt(cstr(t))));
    return v;
  };
  const envp = vector(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  const r = check(libc().execve(cstr(path), vector(argv), envp), "execve");
  keep.length = 0;
  return isFailure(r) ? r : { failed: true, errno: 0, message: "execve returned" };
}

/** madvise(addr, len, advice); returns null or the failure. */
export function madvise(addr: bigint, len: bigint, advice: number): Failure | null {
  const r = check(libc().madvise(addr, len, advice), "madvise");
  return isFailure(r) ? r : null;
}

/** RLIMIT_NOFILE (soft, hard); Infinity for RLIM_INFINITY. */
export type FdLimit = { soft: number; hard: number };

const RLIM_INFINITY = 0xffffffffffffffffn;
const fromRlim = (v: bigint) => (v === RLIM_INFINITY || v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v));

/** getrlimit(RLIMIT_NOFILE). */
export function getFdLimit(): FdLimit | Failure {
  const buf = new BigUint64Array(2); // struct rlimit: two rlim_t (64-bit on every platform we build for)
  const r = check(libc().getrlimit(C.RLIMIT_NOFILE, buf), "getrlimit");
  if (typeof r !== "number") return r;
  return { soft: fromRlim(buf[0]!), hard: fromRlim(buf[1]!) };
}

/**
 * Raise the soft RLIMIT_NOFILE to the hard one. macOS refuses more than
 * OPEN_MAX for an unlimited hard limit: then it falls back to the kernel's
 * per-process maximum the caller passes. Returns the limits before and after.
 */
export function raiseFdLimit(cap = 1 << 20): { before: FdLimit; after: FdLimit } | Failure {
  const before = getFdLimit();
  if (isFailure(before)) return before;
  if (before.soft >= before.hard) return { before, after: before };
  const target = before.hard === Infinity ? BigInt(cap) : BigInt(before.hard);
  const buf = new BigUint64Array([target, before.hard === Infinity ? RLIM_INFINITY : BigInt(before.hard)]);
  const r = check(libc().setrlimit(C.RLIMIT_NOFILE, buf), "setrlimit");
  if (typeof r !== "number") return r;
  const after = getFdLimit();
  return isFailure(after) ? after : { before, after };
}

/**
 * Is at least one more descriptor to be had? (dup one, close it). A failure
 * with EMFILE or ENFILE says no; `fd` is any descriptor of ours.
 */
export function fdAvailable(fd: number): boolean {
  const r = check(fcntl(fd, C.F_DUPFD_CLOEXEC, 0), "fcntl(F_DUPFD_CLOEXEC)");
  if (typeof r === "number") {
    close(r);
    return true;
  }
  return r.errno !== C.EMFILE && r.errno !== C.ENFILE;
}

/** Is this the errno, or a Node/Bun error code, of running out of descriptors? */
export function isFdExhaustion(e: unknown): boolean {
  const code = (e as { code?: unknown; errno?: unknown } | null)?.code;
  if (code === "EMFILE" || code === "ENFILE") return true;
  return /\bE[MN]FILE\b|too many open files/i.test(String((e as Error)?.message ?? ""));
}

/**
 * flock(fd, LOCK_EX | LOCK_NB): true when taken, false when another open
 * file description holds it. Released by the kernel when the last
 * descriptor of ours to that file closes, however the process dies.
 */
export function tryLockExclusive(fd: number): boolean | Failure {
  const r = check(libc().flock(fd, C.LOCK_EX | C.LOCK_NB), "flock");
  if (typeof r === "number") return true;
  if (r.errno === C.EWOULDBLOCK) return false;
  return r;
}

// ---------------------------------------------------------------------------
// Datagram sockets with the sender's credentials (sd_notify's NOTIFY_SOCKET).
// Bun has no unix datagram sockets and no way to watch a raw descriptor, so
// one worker thread blocks in poll(2) on every such socket (0 CPU while
// idle), reads each datagram with recvmsg(2) and its SCM_CREDENTIALS, looks
// the sender up in /proc at once (it may exit right after sending), and
// posts the message to the daemon's thread. Linux only.

const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SO_PASSCRED = 16;

/** Can this platform receive datagrams with credentials? */
export const hasCredDatagrams = process.platform === "linux";

/**
 * A unix datagram socket bound at path, non-blocking, close-on-exec, that
 * receives each sender's pid/uid/gid (SO_PASSCRED). The caller removes a
 * stale file first.
 */
export function bindCredDatagram(path: string): number | Failure {
  if (!hasCredDatagrams) return { failed: true, errno: 0, message: "needs Linux (SO_PASSCRED)" };
  const sa = sockaddrUn(path);
  if (isFailure(sa)) return sa;
  const fd = check(libc().socket(C.AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
  if (typeof fd !== "number") return fd;
  const one = new Int32Array([1]);
  const r = check(libc().setsockopt(fd, C.SOL_SOCKET, SO_PASSCRED, one, 4), "setsockopt(SO_PASSCRED)");
  const b = typeof r === "number" ? check(libc().bind(fd, sa, sa.length), "bind") : r;
  if (typeof b !== "number") {
    close(fd);
    return b;
  }
  return fd;
}

/** One datagram and who sent it (the sender's /proc facts, null when it is gone). */
export type CredDatagram = {
  fd: number;
  pid: number;
  uid: number;
  /** from /proc/PID/stat at receipt; null when the sender had already gone */
  ppid: number | null;
  pgrp: number | null;
  sid: number | null;
  text: string;
};

/** Watches credential datagram sockets; `close` hands a socket back to be closed. */
export type DatagramWatcher = { add(fd: number): void; close(fd: number): void };

const MAX_WATCHED = 4096;

// The worker, as source text (the bundler must not rewrite it). LP64 Linux:
// struct msghdr is 7 words; struct pollfd is {int fd; short events, revents}.
const WORKER = `
const { dlopen, ptr } = require("bun:ffi");
const { readFileSync } = require("node:fs");
const L = dlopen("libc.so.6", {
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  recvmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  close: { args: ["i32"], returns: "i32" },
}).symbols;
function proc(pid) {
  try {
    const s = readFileSync("/proc/" + pid + "/stat", "latin1");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: +f[1], pgrp: +f[2], sid: +f[3] };
  } catch { return { ppid: null, pgrp: null, sid: null }; }
}
self.onmessage = (e) => {
  const shared = new Int32Array(e.data.sab);
  const wake = e.data.wake;
  const buf = new Uint8Array(4096), cbuf = new Uint8Array(512), junk = new Uint8Array(256);
  const iov = new BigUint64Array([BigInt(ptr(buf)), 4096n]);
  const msg = new BigUint64Array(7);
  const cv = new DataView(cbuf.buffer);
  const dec = new TextDecoder();
  let gen = -1, fds = [], pfds = new Int32Array(2);
  for (;;) {
    const g = Atomics.load(shared, 0);
    if (g !== gen) {
      gen = g;
      const next = Array.from(shared.subarray(2, 2 + shared[1]));
      for (const fd of fds) if (!next.includes(fd)) L.close(fd);
      fds = next;
      pfds = new Int32Array(2 * (fds.length + 1));
      pfds[0] = wake; pfds[1] = 1;
      fds.forEach((fd, i) => { pfds[2 + 2 * i] = fd; pfds[3 + 2 * i] = 1; });
    }
    if (L.poll(pfds, fds.length + 1, -1) <= 0) continue;
    if (pfds[1] >>> 16) while (Number(L.read(wake, junk, 256)) > 0);
    for (let i = 0; i < fds.length; i++) {
      if (!(pfds[3 + 2 * i] >>> 16)) continue;
      for (let k = 0; k < 64; k++) {
        msg[0] = 0n; msg[1] = 0n; msg[2] = BigInt(ptr(iov)); msg[3] = 1n;
        msg[4] = BigInt(ptr(cbuf)); msg[5] = 512n; msg[6] = 0n;
        const n = Number(L.recvmsg(fds[i], msg, 0x40000000)); // MSG_CMSG_CLOEXEC
        if (n < 0) break;
        let pid = 0, uid = -1;
        // walk the control messages: credentials; descriptors (sd_notify's
        // BARRIER=1 passes one and waits for it to close) are closed at once
        const clen = Number(msg[5]);
        for (let at = 0; at + 16 <= clen; ) {
          const len = Number(cv.getBigUint64(at, true));
          if (len < 16 || at + len > clen) break;
          const level = cv.getInt32(at + 8, true), type = cv.getInt32(at + 12, true);
          if (level === 1 && type === 2 && len >= 28) { pid = cv.getInt32(at + 16, true); uid = cv.getInt32(at + 20, true); }
          if (level === 1 && type === 1) for (let o = at + 16; o + 4 <= at + len; o += 4) L.close(cv.getInt32(o, true));
          at += (len + 7) & ~7;
        }
        postMessage({ fd: fds[i], pid, uid, ...proc(pid), text: dec.decode(buf.subarray(0, n)) });
      }
    }
  }
};
`;

/** Start the watcher thread (once per daemon); `onMessage` runs on the daemon's thread. */
export function watchCredDatagrams(onMessage: (m: CredDatagram) => void): DatagramWatcher {
  const p = new Int32Array(2);
  const pipe2 = (libc() as unknown as { pipe2(fds: Int32Array, flags: number): number }).pipe2;
  const r = check(pipe2(p, SOCK_NONBLOCK | SOCK_CLOEXEC), "pipe2");
  if (typeof r !== "number") throw new Error(`cannot start the notify watcher: ${r.message}`);
  const sab = new SharedArrayBuffer(4 * (2 + MAX_WATCHED));
  const shared = new Int32Array(sab);
  const worker = new Worker(URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" })));
  worker.unref();
  worker.onmessage = (e: MessageEvent<CredDatagram>) => onMessage(e.data);
  worker.postMessage({ sab, wake: p[0] });
  const one = new Uint8Array([1]);
  const publish = (fds: number[]) => {
    shared.set(fds.slice(0, MAX_WATCHED), 2);
    shared[1] = Math.min(fds.length, MAX_WATCHED);
    Atomics.add(shared, 0, 1);
    libc().write(p[1]!, one, 1);
  };
  const watched: number[] = [];
  return {
    add(fd) {
      watched.push(fd);
      publish(watched);
    },
    close(fd) {
      const i = watched.indexOf(fd);
      if (i < 0) return void close(fd);
      watched.splice(i, 1);
      publish(watched); // the worker closes it once it no longer polls it
    },
  };
}

/**
 * prctl(PR_SET_CHILD_SUBREAPER, 1): orphans among cfkd's descendants are
 * reparented to cfkd instead of to init (Linux only).
 */
export function setChildSubreaper(): Failure | null {
  if (isMac) return { failed: true, errno: 0, message: "child subreaper is Linux only" };
  const prctl = (libc() as unknown as { prctl: (...a: (number | bigint)[]) => number }).prctl;
  const r = check(prctl(C.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
  return typeof r === "number" ? null : r;
}

/**
 * waitpid(pid, &status, WNOHANG) on one given pid, never -1: reaps that
 * process if it has ended. Returns the raw wait status, null when it has
 * not ended yet, or a Failure (ECHILD: not our child, or reaped already).
 */
export function reapPid(pid: number): number | null | Failure {
  if (!Number.isSafeInteger(pid) || pid <= 0) return { failed: true, errno: C.ECHILD, message: "not a child" };
  const status = new Int32Array(1);
  const r = check(libc().waitpid(pid, status, C.WNOHANG), "waitpid");
  if (typeof r !== "number") return r;
  return r === 0 ? null : status[0]!;
}
