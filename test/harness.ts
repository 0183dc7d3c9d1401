/**
 * Shared test harness: a temp home, the real daemon as a subprocess, a
 * line-protocol client, and polling with a deadline (never bare sleeps).
 */
import { mkdtempSync, rmSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "bun:test";
import { ReplyReader, type Reply } from "../src/protocol/framing.ts";

export const ROOT = resolve(import.meta.dir, "..");
export const BUN = process.execPath;
export const CFKD = join(ROOT, "src/cfkd.ts");
export const FIXTURES = join(ROOT, "test/fixtures");

/** A fresh temporary directory, removed on dispose. */
export function tempDir(prefix = "cfk-"): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** Poll `cond` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 5000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what} (last: ${String(last)})`);
    await Bun.sleep(everyMs);
  }
}

/** A connection speaking the management protocol. */
export class Client implements AsyncDisposable {
  private replies: Reply[] = [];
  private waiters: ((r: Reply) => void)[] = [];
  private reader = new ReplyReader((r) => {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.replies.push(r);
  });
  closed = false;
  raw = "";

  private constructor(private sock: Awaited<ReturnType<typeof Bun.connect>>) {}

  /** Connect to a unix socket path, or to `host:port`. */
  static async connect(address: string): Promise<Client> {
    let c!: Client;
    const dec = new TextDecoder();
    const tcp = /^(.+):(\d+)$/.exec(address);
    const where = (tcp ? { hostname: tcp[1]!, port: Number(tcp[2]) } : { unix: address }) as { unix: string };
    const sock = await Bun.connect({
      ...where,
      socket: {
        data(_s, d) {
          const t = dec.decode(d, { stream: true });
          c.raw += t;
          c.reader.feed(t);
        },
        close() {
          c.closed = true;
        },
        drain() {
          c.flushPending();
        },
      },
    });
    c = new Client(sock);
    return c;
  }

  private pending: Buffer[] = [];

  /** Send raw text or bytes (no newline added); what the socket cannot take now goes on drain. */
  send(data: string | Uint8Array): void {
    this.pending.push(typeof data === "string" ? Buffer.from(data) : Buffer.from(data));
    if (this.pending.length === 1) this.flushPending();
  }

  flushPending(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.sock.write(head);
      if (n < head.length) {
        this.pending[0] = head.subarray(Math.max(0, n));
        return;
      }
      this.pending.shift();
    }
  }

  /** Send one request line and wait for its reply. */
  async request(line: string, timeoutMs = 5000): Promise<Reply> {
    this.send(line + "\n");
    return this.next(timeoutMs);
  }

  next(timeoutMs = 5000): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply within ${timeoutMs}ms`)), timeoutMs);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  /** Send a request that must succeed; returns its body lines. */
  async ok(line: string): Promise<string[]> {
    const r = await this.request(line);
    if (r.error !== undefined) throw new Error(`'${line}' failed: ERROR: ${r.error}`);
    return r.body;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.sock.end();
  }
}

/** The real daemon, as a subprocess, in a temp home. */
export class DaemonProcess implements AsyncDisposable {
  readonly sock: string;
  /** where clients connect: the unix socket path, or host:port */
  readonly address: string;
  readonly proc: ReturnType<typeof Bun.spawn>;
  private dir: { path: string } & Disposable;
  stderr = "";

  private constructor(readonly home: string, args: string[], env: Record<string, string>, dir: { path: string } & Disposable, tcpPort?: number, address?: string, prefix: string[] = []) {
    this.dir = dir;
    this.sock = join(home, "sock");
    this.address = address ?? (tcpPort ? `127.0.0.1:${tcpPort}` : this.sock);
    if (tcpPort) args = ["-a", this.address, ...args];
    const proc = Bun.spawn([...prefix, BUN, CFKD, "--home", home, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    this.proc = proc;
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) this.stderr += dec.decode(chunk);
    })();
  }

  /**
   * Start cfkd and wait until its console accepts connections. `tcp`: listen
   * on a free loopback port. `address`: where to connect when the arguments
   * set their own `-a`. `prefix`: a command that execs cfkd (e.g. prlimit).
   */
  static async start(opts: { args?: string[]; env?: Record<string, string>; home?: string; tcp?: boolean; address?: string; prefix?: string[] } = {}): Promise<DaemonProcess> {
    const dir = tempDir("cfkd-");
    const home = opts.home ?? join(dir.path, "home");
    const d = new DaemonProcess(home, opts.args ?? [], opts.env ?? {}, dir, opts.tcp ? await freePort() : undefined, opts.address, opts.prefix);
    try {
      const how = await waitFor(async () => {
        if (d.proc.exitCode !== null) return "exited";
        if (!d.address.includes(":") && !existsSync(d.address)) return false;
        const c = await Client.connect(d.address).catch(() => null);
        if (!c) return false;
        await c[Symbol.asyncDispose]();
        return "ready";
      }, "cfkd to accept connections", 10000);
      if (how === "exited") throw new Error(`cfkd exited ${d.proc.exitCode}: ${d.stderr}`);
    } catch (e) {
      await d[Symbol.asyncDispose](); // a daemon that never answered must not outlive the test
      throw e;
    }
    return d;
  }

  get pid(): number {
    return this.proc.pid;
  }

  client(): Promise<Client> {
    return Client.connect(this.address);
  }

  /** One request on a fresh connection. */
  async request(line: string): Promise<Reply> {
    await using c = await this.client();
    return await c.request(line);
  }

  async ok(line: string): Promise<string[]> {
    await using c = await this.client();
    return await c.ok(line);
  }

  /** The status record of one service, parsed from the wire. */
  async status(name: string): Promise<string[]> {
    const body = await this.ok(`command status service ${name}`);
    return body[0]!.split("\t");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.proc.exitCode === null) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 8000);
      await this.proc.exited;
      clearTimeout(t);
    }
    this.dir[Symbol.dispose]();
  }
}

/** A TCP port that was free a moment ago (the kernel picked it). */
export async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/**
 * One daemon shared by every test of a file: started before the first,
 * stopped after the last. `use` receives it (`let d; daemonPerFile((x) => (d = x))`).
 */
export function daemonPerFile(use: (d: DaemonProcess) => void | Promise<void>): void {
  let d: DaemonProcess | undefined;
  beforeAll(async () => {
    d = await DaemonProcess.start();
    await use(d);
  });
  afterAll(async () => {
    await d?.[Symbol.asyncDispose]();
  });
}

/** What the tests read from /proc/PID/stat; null when the process is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgrp: number; sid: number; ttyNr: number; cpuTicks: number } | null {
  let st: string;
  try {
    st = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const f = st.slice(st.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return { state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]), sid: Number(f[3]), ttyNr: Number(f[4]), cpuTicks: Number(f[11]) + Number(f[12]) };
}

/** Is a pid alive (and not a zombie)? */
export function alive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z";
}

/** The live (non-zombie) processes of a process group. */
export function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => {
      const s = procStat(p);
      return s !== null && s.pgrp === pgid && s.state !== "Z";
    });
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

/** A process's environment, from /proc. */
export function environ(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/**
 * Wait until a freshly spawned pid runs `comm`: before its exec a child is
 * still a copy of the daemon (its environment, its close-on-exec fds).
 */
export function waitExec(pid: number, comm: string): Promise<true> {
  return waitFor(() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm || null;
    } catch {
      return null;
    }
  }, `${pid} to exec ${comm}`);
}
/** Direct children of a pid (from /proc). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
