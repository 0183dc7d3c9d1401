/**
 * Where rendered records go: one Sink per open file (or per fd 1/2). A sink
 * collects records in large blocks and writes them asynchronously, one write
 * at a time, so many records cost one system call and the event loop never
 * waits for the disk. Order is the order of `reserve` calls.
 *
 * Backpressure: the hub knows how many bytes every sink holds. Above HIGH
 * the hub is congested, and output capture stops reading the services'
 * pipes (their writes then block in the kernel) until every sink is back
 * under LOW. So memory stays bounded and nothing is dropped.
 *
 * Races handled:
 * - reload: a sink that replaces another on the same file (`after`) writes
 *   nothing until its predecessor has written all it holds, so records keep
 *   their order across a USR1 even though both are open for a moment;
 * - a non-blocking fd 1/2 (EAGAIN): retried shortly, nothing is lost;
 * - any other write error (disk full, I/O error): that block is dropped and
 *   reported once through `onError`, the sink goes on with the next ones.
 */
import { close, closeSync, existsSync, fstatSync, openSync, renameSync, constants as C, write, writev } from "node:fs";

/**
 * Size-based rotation (Log::Dispatch::FileRotate's size/max): before a write,
 * a file that has reached `size` bytes becomes path.1 (path.1 becomes
 * path.2, …, path.max is dropped) and a new, empty path is opened. Checked
 * between writes, never inside one: a file may pass `size` by one batch.
 */
export type Rotation = { path: string; size: number; max: number; mode: number };

const BLOCK = 1024 * 1024;
export const HIGH = 4 * 1024 * 1024;
const LOW = HIGH / 2;

export class SinkHub {
  private sinks = new Set<Sink>();
  private waiters: (() => void)[] = [];
  private waiting: Promise<void> | null = null;

  constructor(readonly onError: (message: string) => void) {}

  add(s: Sink): void {
    this.sinks.add(s);
  }

  remove(s: Sink): void {
    this.sinks.delete(s);
    this.check();
  }

  /** A promise while some sink holds more than HIGH bytes: wait before reading more. */
  pressure(): Promise<void> | undefined {
    if (this.waiting) return this.waiting;
    for (const s of this.sinks) {
      if (s.pending > HIGH) {
        this.waiting = new Promise<void>((r) => this.waiters.push(r));
        return this.waiting;
      }
    }
    return undefined;
  }

  /** Resolves once every sink has written everything it holds. */
  async drained(): Promise<void> {
    await Promise.all([...this.sinks].map((s) => s.drained()));
  }

  /** called when a sink's backlog shrinks */
  check(): void {
    if (!this.waiting) return;
    for (const s of this.sinks) if (s.pending > LOW) return;
    this.waiting = null;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Write blocks are reused: fresh memory costs page faults, which dominate at full speed. */
const pool: Buffer[] = [];
const POOL_MAX = 8;

function takeBlock(n: number): Buffer {
  if (n <= BLOCK) return pool.pop() ?? Buffer.allocUnsafeSlow(BLOCK);
  return Buffer.allocUnsafeSlow(n);
}

function giveBlock(b: Buffer): void {
  if (b.length === BLOCK && pool.length < POOL_MAX) pool.push(b);
}

type Chunk = { block: Buffer; len: number };

export class Sink {
  /** bytes accepted and not yet written */
  pending = 0;
  private full: Chunk[] = [];
  private cur: Buffer | null = null;
  private pos = 0;
  private busy = false;
  private idle: (() => void)[] = [];
  private gate: Promise<void> | null;
  private reported = false;

  /** `owned`: close the fd when done; `after`: the sink this one replaces. */
  /** bytes in the file now (rotation only) */
  private fileBytes = 0;

  constructor(
    public fd: number,
    readonly label: string,
    private readonly owned: boolean,
    private readonly hub: SinkHub,
    after?: Sink,
    private readonly rotation?: Rotation,
  ) {
    hub.add(this);
    if (rotation) this.fileBytes = fstatSync(fd).size;
    this.gate = after ? after.drained() : null;
    this.gate?.then(() => {
      this.gate = null;
      this.kick();
    });
  }

  /** Room for `n` bytes: fill buf[at .. at+n), then call commit(n). */
  reserve(n: number): [Buffer, number] {
    if (!this.cur || this.pos + n > this.cur.length) {
      this.retire();
      this.cur = takeBlock(n);
    }
    return [this.cur, this.pos];
  }

  commit(n: number): void {
    this.pos += n;
    this.pending += n;
    this.kick();
  }

  writeText(s: string): void {
    const max = Buffer.byteLength(s);
    const [buf, at] = this.reserve(max);
    this.commit(buf.write(s, at));
  }

  /** Resolves once everything accepted so far is written. */
  drained(): Promise<void> {
    if (this.pending === 0 && !this.busy) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Write what is held, then close (the fd too when owned). */
  async close(): Promise<void> {
    await this.drained();
    this.hub.remove(this);
    if (this.owned) close(this.fd, () => {});
  }

  /** Shift path.N up by one, the full file to path.1, and go on in a new file. */
  private rotate(r: Rotation): void {
    try {
      for (let i = r.max - 1; i >= 1; i--) if (existsSync(`${r.path}.${i}`)) renameSync(`${r.path}.${i}`, `${r.path}.${i + 1}`);
      renameSync(r.path, `${r.path}.1`);
      const fd = openSync(r.path, C.O_WRONLY | C.O_CREAT | C.O_APPEND, r.mode);
      if (this.owned) closeSync(this.fd);
      this.fd = fd;
      this.fileBytes = 0;
    } catch (e) {
      // keep writing where we are: losing the rotation is better than losing the log
      this.fileBytes = 0;
      this.hub.onError(`cannot rotate ${r.path}: ${(e as Error).message}`);
    }
  }

  /** the current block is done with: queue what it holds */
  private retire(): void {
    if (!this.cur) return;
    if (this.pos > 0) this.full.push({ block: this.cur, len: this.pos });
    else giveBlock(this.cur);
    this.cur = null;
    this.pos = 0;
  }

  private kick(): void {
    if (this.busy || this.gate || this.pending === 0) return;
    if (this.rotation && this.fileBytes >= this.rotation.size) this.rotate(this.rotation);
    this.retire();
    const chunks = this.full;
    this.full = [];
    this.busy = true;
    this.send(
      chunks,
      chunks.map((c) => c.block.subarray(0, c.len)),
      0,
    );
  }

  private send(chunks: Chunk[], bufs: Buffer[], delay: number): void {
    const done = (err: NodeJS.ErrnoException | null, n: number) => this.written(chunks, bufs, err, n);
    const go = () => (bufs.length === 1 ? write(this.fd, bufs[0]!, 0, bufs[0]!.length, null, done) : writev(this.fd, bufs, done));
    if (delay) setTimeout(go, delay);
    else go();
  }

  private written(chunks: Chunk[], bufs: Buffer[], err: NodeJS.ErrnoException | null, n: number): void {
    if (err && err.code === "EAGAIN") return this.send(chunks, bufs, 10);
    let total = 0;
    for (const b of bufs) total += b.length;
    if (err) {
      if (!this.reported) this.hub.onError(`cannot write to ${this.label}: ${err.message}; ${total} bytes lost`);
      this.reported = true;
      n = total;
    } else if (n < total) {
      // a short write: send the rest
      this.pending -= n;
      let skip = n;
      while (skip >= bufs[0]!.length) skip -= bufs.shift()!.length;
      bufs[0] = bufs[0]!.subarray(skip);
      return this.send(chunks, bufs, 0);
    } else {
      this.reported = false;
    }
    for (const c of chunks) giveBlock(c.block);
    this.fileBytes += n;
    this.pending -= n;
    this.busy = false;
    this.hub.check();
    if (this.pending > 0) return this.kick();
    for (const w of this.idle.splice(0)) w();
  }
}
