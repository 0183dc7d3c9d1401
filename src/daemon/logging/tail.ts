/**
 * `command tail` (SPEC §3.5): a bounded ring of recent captured lines per
 * service, and live followers.
 *
 * The ring keeps whole batches (no copy, no decoding) while they hold the
 * last MAX_LINES lines, and never more than MAX_BYTES of buffers except the
 * newest batch; text is decoded only when someone asks for it.
 *
 * A follower must never slow the services or other clients: its output goes
 * through the console, which says when the client is not keeping up
 * (`congested`). Batches of lines are then dropped for that follower only,
 * and the next batch that gets through is preceded by a `-<TAB>err<TAB>...
 * N lines dropped` line (`-` is never a service name).
 */
import type { FollowOutput } from "../../protocol/framing.ts";
import { droppedToWire, tailToWire } from "../../protocol/tail.ts";
import type { LineBatch } from "./lines.ts";
import type { Stream } from "./types.ts";

export const MAX_LINES = 1000;
const MAX_BYTES = 256 * 1024;

type Entry = { seq: number; stream: Stream; batch: LineBatch };
type Ring = { entries: Entry[]; lines: number; bytes: number; captured: Captured };
/** lines, and their bytes (without the newlines), captured per stream since the service was declared */
export type Captured = Record<Stream, { lines: number; bytes: number }>;
/** a stream of lines that never ends by itself */
type LineOut = Pick<FollowOutput, "congested" | "send">;
type Follower = { match: (name: string) => boolean; out: LineOut; dropped: number };

export class Tail {
  private rings = new Map<string, Ring>();
  private followers = new Set<Follower>();
  private seq = 0;

  /** Record a batch of a service's lines; pass it on to followers. */
  add(name: string, stream: Stream, batch: LineBatch): void {
    let r = this.rings.get(name);
    if (!r) this.rings.set(name, (r = { entries: [], lines: 0, bytes: 0, captured: { out: { lines: 0, bytes: 0 }, err: { lines: 0, bytes: 0 } } }));
    r.captured[stream].lines += batch.count;
    r.captured[stream].bytes += batch.bytes;
    r.entries.push({ seq: this.seq, stream, batch });
    this.seq += batch.count;
    r.lines += batch.count;
    r.bytes += batch.buf.byteLength;
    while (r.entries.length > 1) {
      const old = r.entries[0]!;
      if (r.lines - old.batch.count < MAX_LINES && r.bytes <= MAX_BYTES) break;
      r.entries.shift();
      r.lines -= old.batch.count;
      r.bytes -= old.batch.buf.byteLength;
    }
    for (const f of this.followers) if (f.match(name)) this.send(f, name, stream, batch);
  }

  /** The last `n` lines of the matching services, oldest first, as wire body lines. */
  recent(match: (name: string) => boolean, n: number): string[] {
    const picked: { seq: number; name: string; e: Entry; i: number }[] = [];
    for (const [name, r] of this.rings) {
      if (!match(name)) continue;
      let want = n;
      for (let k = r.entries.length - 1; k >= 0 && want > 0; k--) {
        const e = r.entries[k]!;
        for (let i = e.batch.count - 1; i >= 0 && want > 0; i--, want--) picked.push({ seq: e.seq + i, name, e, i });
      }
    }
    picked.sort((a, b) => a.seq - b.seq);
    return picked.slice(Math.max(0, picked.length - n)).map((p) => tailToWire(p.name, p.e.stream, p.e.batch.text(p.i)));
  }

  /** Stream new lines of the matching services to `out` until the returned function is called. */
  follow(match: (name: string) => boolean, out: LineOut): () => void {
    const f: Follower = { match, out, dropped: 0 };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** What a service has written so far (for metrics); null before its first line. */
  captured(name: string): Readonly<Captured> | null {
    return this.rings.get(name)?.captured ?? null;
  }

  get followerCount(): number {
    return this.followers.size;
  }

  /** A destroyed service's lines go with it. */
  forget(name: string): void {
    this.rings.delete(name);
  }

  private send(f: Follower, name: string, stream: Stream, batch: LineBatch): void {
    if (f.out.congested) {
      f.dropped += batch.count;
      return;
    }
    const lines: string[] = [];
    if (f.dropped > 0) lines.push(droppedToWire(f.dropped));
    f.dropped = 0;
    for (let i = 0; i < batch.count; i++) lines.push(tailToWire(name, stream, batch.text(i)));
    f.out.send(lines);
  }
}
