/**
 * Bytes to lines for captured service output (SPEC §8): partial lines are
 * joined until their newline, a line longer than MAX_LINE is cut into
 * MAX_LINE pieces, and whatever is left is flushed when the stream ends.
 *
 * Lines are not decoded: a LineBatch is one buffer plus the byte bounds of
 * its lines, so a chunk read from a pipe becomes one batch without copying,
 * and the log can write the bytes exactly as the service wrote them. Text is
 * decoded only where it is needed (tail, layouts that reshape the message).
 */

import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

export const MAX_LINE = 64 * 1024;
const NL = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

/** Lines that share one buffer: line i is buf[bounds[2i] .. bounds[2i+1]). */
export class LineBatch {
  constructor(
    readonly buf: Uint8Array,
    readonly bounds: number[],
  ) {}

  get count(): number {
    return this.bounds.length >> 1;
  }

  /** the bytes of all lines (without their newlines) */
  get bytes(): number {
    let n = 0;
    for (let i = 0; i < this.bounds.length; i += 2) n += this.bounds[i + 1]! - this.bounds[i]!;
    return n;
  }

  text(i: number): string {
    return decoder.decode(this.buf.subarray(this.bounds[2 * i], this.bounds[2 * i + 1]));
  }

  /** A batch of one line given as text (the proxies' log pipe). */
  static of(line: string): LineBatch {
    const buf = encoder.encode(line);
    return new LineBatch(buf, [0, buf.length]);
  }
}

/** Splits a byte stream into batches of lines. */
export class BatchSplitter {
  private parts: Uint8Array[] = [];
  private partLen = 0;

  constructor(private readonly emit: (batch: LineBatch) => void) {}

  /** Feed a chunk; emits the lines it completes (the chunk is kept, not copied). */
  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.partLen > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) return this.hold(chunk);
      this.hold(chunk.subarray(0, nl));
      this.flush(true);
      start = nl + 1;
    }
    const bounds: number[] = [];
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      let end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
      while (end - start > MAX_LINE) {
        bounds.push(start, start + MAX_LINE);
        start += MAX_LINE;
      }
      bounds.push(start, end);
      start = nl + 1;
    }
    // a long unfinished line: its full pieces are lines already
    while (chunk.length - start > MAX_LINE) {
      bounds.push(start, start + MAX_LINE);
      start += MAX_LINE;
    }
    if (bounds.length > 0) this.emit(new LineBatch(chunk, bounds));
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** End of stream: emit the unterminated rest, if any. */
  end(): void {
    if (this.partLen > 0) this.flush(false);
  }

  /** Keep bytes of an unfinished line (copied: the chunk is not ours to keep), emitting full pieces. */
  private hold(bytes: Uint8Array): void {
    let b = bytes;
    while (this.partLen + b.length > MAX_LINE) {
      const take = MAX_LINE - this.partLen;
      this.parts.push(b.slice(0, take));
      this.partLen += take;
      this.flush(false);
      b = b.subarray(take);
    }
    if (b.length > 0) {
      this.parts.push(b.slice());
      this.partLen += b.length;
    }
  }

  /** Emit the held line; `complete`: a newline ended it (drop a trailing CR). */
  private flush(complete: boolean): void {
    const all = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.partLen);
    this.parts = [];
    this.partLen = 0;
    const end = complete && all.length > 0 && all[all.length - 1] === CR ? all.length - 1 : all.length;
    this.emit(new LineBatch(all, [0, end]));
  }
}

/**
 * The line-by-line form of BatchSplitter, for pipes of text messages.
 * `emit` may return a promise (the consumer is backed up): `push` and `end`
 * return the last such promise of their lines, for the reader to await.
 */
export class LineSplitter {
  private split: BatchSplitter;
  private wait: Promise<void> | undefined;
  constructor(emit: (line: string) => Promise<void> | undefined | void) {
    this.split = new BatchSplitter((b) => {
      for (let i = 0; i < b.count; i++) this.wait = emit(b.text(i)) ?? this.wait;
    });
  }
  push(chunk: Uint8Array): Promise<void> | undefined {
    this.split.push(chunk);
    return this.take();
  }
  end(): Promise<void> | undefined {
    this.split.end();
    return this.take();
  }
  private take(): Promise<void> | undefined {
    const w = this.wait;
    this.wait = undefined;
    return w;
  }
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Read a child's output stream to its end, batch by batch. When `onBatch`
 * returns a promise (the log is congested), reading pauses until it
 * resolves: the pipe fills, the kernel slows the writer, the daemon holds
 * no more.
 *
 * Why node:stream: Bun turns a spawn pipe into a native node Readable here.
 * Reading the same pipe through a WebStreams reader leaves garbage on every
 * event-loop turn for every pending read, outside the JS heap where the GC
 * does not see it: with 400 idle pipes the daemon grew by 150 MB under a
 * stream of console requests. The native Readable stays flat.
 */
export function drainBatches(stream: ReadableStream<Uint8Array>, onBatch: (b: LineBatch) => Promise<void> | undefined): Promise<void> {
  const r = Readable.fromWeb(stream as unknown as NodeReadableStream<Uint8Array>);
  let wait: Promise<void> | undefined;
  const split = new BatchSplitter((b) => {
    wait = onBatch(b) ?? wait;
  });
  return new Promise((resolve) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      split.end();
      resolve();
    };
    r.on("data", (chunk: Buffer) => {
      split.push(chunk);
      if (!wait) return;
      const w = wait;
      wait = undefined;
      r.pause();
      void w.then(() => r.resume());
    });
    r.on("end", end);
    r.on("close", end);
    r.on("error", end); // the pipe broke: keep what we have
  });
}
