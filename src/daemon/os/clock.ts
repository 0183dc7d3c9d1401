/** The clock seam: "now" and timers, so the life cycle can be driven in tests. */

export interface Clock {
  /** epoch seconds, integer */
  nowSecs(): number;
  /** epoch milliseconds (event records) */
  nowMs(): number;
  /** run fn after ms; returns a cancel function */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowSecs: () => Math.floor(Date.now() / 1000),
  nowMs: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
