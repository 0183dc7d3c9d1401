/**
 * Helpers for the shared-socket tests: the Python that runs the worker
 * fixture, a one-request HTTP client over TCP or unix sockets, and /proc
 * readers (a process's descriptors, the kernel's TCP table).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../harness.ts";

/** The real interpreter (not a version-manager shim: faster, and exec keeps the pid). */
export const PYTHON: string = (() => {
  const r = Bun.spawnSync(["python3", "-c", "import sys; print(sys.executable)"]);
  const out = r.stdout.toString().trim();
  if (r.exitCode !== 0 || out === "") throw new Error("the shared-socket tests need python3");
  return out;
})();

export const WORKER = join(FIXTURES, "prefork_worker.py");

/** A worker's `cmd` as a JSON array. */
export const workerCmd = (...args: string[]) => JSON.stringify([PYTHON, WORKER, ...args]);

export type Target = { hostname: string; port: number } | { unix: string };

/** An error with the OS code of a failed connection (ECONNREFUSED…). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** One HTTP/1.0 GET; resolves with the body, rejects with a RequestError. */
export function httpGet(target: Target, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => settle(() => reject(new RequestError("no answer in time", "TIMEOUT"))), timeoutMs);
    const fail = (e: unknown) => {
      const err = e as { code?: string; message?: string };
      settle(() => reject(new RequestError(String(err?.message ?? e), err?.code ?? "ERROR")));
    };
    Bun.connect({
      ...(target as { unix: string }),
      socket: {
        open(s) {
          s.write("GET / HTTP/1.0\r\nHost: test\r\n\r\n");
        },
        data(_s, d) {
          buf += d.toString();
        },
        close() {
          const i = buf.indexOf("\r\n\r\n");
          if (buf.startsWith("HTTP/1.1 200") && i >= 0) settle(() => resolve(buf.slice(i + 4)));
          else settle(() => reject(new RequestError(`bad answer ${JSON.stringify(buf)}`, buf === "" ? "EMPTY" : "BAD")));
        },
        error: (_s, e) => fail(e),
        connectError: (_s, e) => fail(e),
      },
    }).catch(fail);
  });
}

/** A worker's answer: `NAME PID LISTEN_PID`. */
export function parseAnswer(body: string): { name: string; pid: number; listenPid: string } {
  const [name, pid, listenPid] = body.trim().split(" ");
  return { name: name!, pid: Number(pid), listenPid: listenPid! };
}

/** fd number → link target, for a live process. */
export function fdTable(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Socket inodes a process holds. */
export function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const link of fdTable(pid).values()) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** /proc/net/tcp{,6} entries whose local port is `port`: state (hex) and inode. */
export function tcpEntries(port: number): { state: string; inode: string }[] {
  const out: { state: string; inode: string }[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1]!;
      if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) !== port) continue;
      out.push({ state: f[3]!, inode: f[9]! });
    }
  }
  return out;
}

export const TCP_LISTEN = "0A";
