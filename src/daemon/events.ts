/**
 * `command events` [ext] (docs/events.md): a bounded record of the recent
 * service state changes, and live followers, fed by the change stream
 * (changes.ts).
 *
 * A follower never slows the daemon or anyone else: when the console says
 * its client is not keeping up (`congested`), its events are dropped and
 * counted, and the next one that gets through is preceded by a line saying
 * how many it missed. What a follower costs is bounded by the console's
 * high-water mark for the reply (EVENTS_HIGH), whatever it reads.
 */
import type { FollowOutput } from "../protocol/framing.ts";
import { eventToWire, missedToWire } from "../protocol/events.ts";
import type { Change, Changes } from "./changes.ts";

/** changes kept for `-n` */
export const MAX_EVENTS = 1000;
/** bytes that may wait for one follower's client (~600 events) before it misses some */
export const EVENTS_HIGH = 64 * 1024;

type Follower = { match: (name: string) => boolean; out: FollowOutput; missed: number };

export class EventLog {
  private ring: Change[] = [];
  private followers = new Set<Follower>();

  constructor(changes: Changes) {
    changes.subscribe((c) => this.add(c));
  }

  /** The last `n` changes of the matching services, oldest first, as wire lines. */
  recent(match: (name: string) => boolean, n: number): string[] {
    const out: string[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < n; i--) if (match(this.ring[i]!.name)) out.push(eventToWire(this.ring[i]!));
    return out.reverse();
  }

  /** Stream the matching changes to `out` until the returned function is called. */
  follow(match: (name: string) => boolean, out: FollowOutput): () => void {
    const f: Follower = { match, out, missed: 0 };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  get followerCount(): number {
    return this.followers.size;
  }

  private add(c: Change): void {
    this.ring.push(c);
    // amortised: drop the oldest half-ring at once rather than one per change
    if (this.ring.length >= 2 * MAX_EVENTS) this.ring = this.ring.slice(-MAX_EVENTS);
    let line: string | null = null;
    for (const f of this.followers) {
      if (!f.match(c.name)) continue;
      if (f.out.congested) {
        f.missed++;
        continue;
      }
      line ??= eventToWire(c);
      const lines = f.missed > 0 ? [missedToWire(f.missed, c.at), line] : [line];
      f.missed = 0;
      f.out.send(lines);
    }
  }
}
