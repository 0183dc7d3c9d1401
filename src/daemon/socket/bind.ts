/**
 * Creating a shared listening socket (SPEC §3.3, §5). The daemon owns the
 * socket and never accepts on it: only the services that receive it do.
 *
 * TCP: `Bun.listen` binds (SO_REUSEADDR, name resolution, IPv4/IPv6); we take
 * a close-on-exec duplicate of its descriptor and stop Bun's listener in the
 * same tick, before the event loop can accept anything. The duplicate shares
 * the open file description, so it keeps listening; `listen(2)` then applies
 * the backlog and O_NONBLOCK is set as declared (Bun leaves it set, and a
 * worker doing a blocking accept() on fd 0 must not get EAGAIN).
 *
 * Unix: `Bun.listen`'s stop() unlinks the socket's path, which would leave
 * the kept duplicate unreachable, so unix sockets are made with
 * socket/bind/listen through libc instead. A stale file (nobody answers on
 * it) is replaced; a live one is "Address already in use"; a file that is
 * not a socket is left alone.
 */
import { lstatSync } from "node:fs";
import * as libc from "../os/libc.ts";
import { clearStaleSocket } from "../os/unixpath.ts";
import { unlinkQuietly } from "../os/files.ts";
import type { BindTarget } from "./props.ts";

export type BindOptions = {
  /** listen backlog: a number, `max`, or null for SOMAXCONN */
  backlog: number | "max" | null;
  nonblocking: boolean;
};

/** A socket the daemon holds: its descriptor and the address it really has. */
export type Bound = {
  fd: number;
  address: string;
  target: BindTarget;
  /** unix: the inode of the socket file we created */
  ino?: number;
};

const NO_HANDLERS = { data() {} };

/** Bind and listen; the reason (the OS's words) when it cannot. */
export function bindSocket(target: BindTarget, o: BindOptions): Bound | string {
  const fd = target.kind === "tcp" ? listenTcp(target.host, target.port) : listenUnixPath(target.path, backlog(o.backlog));
  if (typeof fd === "string") return fd;
  const err = (target.kind === "tcp" ? libc.listen(fd, backlog(o.backlog)) : null) ?? libc.setNonblocking(fd, o.nonblocking);
  if (err) {
    libc.close(fd);
    return err.message;
  }
  const ino = target.kind === "unix" ? inodeOf(target.path) : undefined;
  return { fd, address: addressOf(fd) ?? "?", target, ino };
}

/** Close the daemon's copy (workers that hold the socket keep it). */
export function closeSocket(b: Bound): void {
  libc.close(b.fd);
}

/** Remove a unix socket's file if it is still the one we bound (not a successor's). */
export function removeSocketFile(b: Bound): void {
  if (b.target.kind !== "unix" || b.ino === undefined || inodeOf(b.target.path) !== b.ino) return;
  unlinkQuietly(b.target.path);
}

function inodeOf(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

function backlog(b: number | "max" | null): number {
  // The kernel clamps the backlog to its own limit (somaxconn), so "max"
  // asks for the largest value and gets whatever the system allows.
  if (b === "max") return 0x7fffffff;
  return b ?? libc.C.SOMAXCONN;
}

function listenTcp(host: string, port: number): number | string {
  let l: { fd?: number; stop(closeActive?: boolean): void };
  try {
    l = Bun.listen({ hostname: host, port, socket: NO_HANDLERS });
  } catch (e) {
    return bunReason(e);
  }
  // Bun 1.4 exposes the listener's descriptor as an untyped `fd` property.
  const own = l.fd;
  const dup = typeof own === "number" ? libc.dupCloexec(own) : null;
  l.stop(true); // same tick: Bun's listener never accepted a connection
  if (dup === null) return "cannot get the listener's file descriptor from Bun";
  return typeof dup === "number" ? dup : dup.message;
}

function listenUnixPath(path: string, qsize: number): number | string {
  const problem = clearStaleSocket(path);
  if (problem) return problem.message;
  const fd = libc.listenUnix(path, qsize);
  return typeof fd === "number" ? fd : fd.message;
}

/** Bun's error for a failed listen, in the OS's words when it carries an errno. */
function bunReason(e: unknown): string {
  const err = e as { errno?: number; message?: string };
  if (typeof err?.errno === "number" && err.errno !== 0) return libc.strerror(Math.abs(err.errno));
  return String(err?.message ?? e);
}

/** The address the socket is really bound to (after port 0, localhost…). */
export function addressOf(fd: number): string | null {
  const n = libc.getSockName(fd);
  if (libc.isFailure(n)) return null;
  switch (n.family) {
    case "unix":
      return `unix:${n.path}`;
    case "inet":
      return `${[...n.addr].join(".")}:${n.port}`;
    case "inet6":
      return `[${formatIPv6(n.addr)}]:${n.port}`;
    default:
      return null;
  }
}

/** RFC 5952 text of a 16-byte IPv6 address (longest zero run compressed). */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}
