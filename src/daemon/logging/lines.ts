/**
 * Bytes to lines for captured service output (SPEC §8): partial lines are
 * joined until their newline, a line longer than MAX_LINE is cut into
 * MAX_LINE pieces, and whatever is left is flushed when the stream ends.
 */

export const MAX_LINE = 64 * 1024;
const NL = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: false });

export class LineSplitter {
  private parts: Uint8Array[] = [];
  private partLen = 0;

  constructor(private readonly emit: (line: string) => void) {}

  /** Feed a chunk; emits every complete line in it. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      const seg = chunk.subarray(start, nl);
      if (this.partLen === 0 && seg.length <= MAX_LINE) this.emit(decode(seg));
      else {
        this.hold(seg);
        if (this.partLen > 0) this.flush();
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** End of stream: emit the unterminated rest, if any. */
  end(): void {
    if (this.partLen > 0) this.flush();
  }

  /** Keep bytes of an unfinished line, emitting full MAX_LINE pieces. */
  private hold(bytes: Uint8Array): void {
    let b = bytes;
    while (this.partLen + b.length > MAX_LINE) {
      const take = MAX_LINE - this.partLen;
      this.parts.push(b.slice(0, take));
      this.partLen += take;
      this.flush();
      b = b.subarray(take);
    }
    if (b.length > 0) {
      this.parts.push(b.slice());
      this.partLen += b.length;
    }
  }

  private flush(): void {
    const all = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.partLen);
    this.parts = [];
    this.partLen = 0;
    this.emit(decode(all));
  }
}

function decode(b: Uint8Array): string {
  const s = decoder.decode(b);
  return s.endsWith("\r") ? s.slice(0, -1) : s;
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
 * Read a stream to its end, line by line. Reading as fast as the data comes
 * keeps the child from blocking on a full pipe; the pipe itself slows a
 * child that writes faster than the sink can take (we await each chunk).
 */
export async function drainLines(stream: ReadableStream<Uint8Array>, emit: (line: string) => void): Promise<void> {
  const split = new LineSplitter(emit);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value && value.length > 0) split.push(value);
    }
  } catch {
    /* the pipe broke: keep what we have */
  } finally {
    split.end();
    reader.releaseLock();
  }
}
