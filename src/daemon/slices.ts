/**
 * Work over many services in slices, so that one request (`start all` of
 * 3,000 services: a spawn costs a millisecond or more) never holds the event
 * loop: once a slice has used its budget, the rest runs on a later turn and
 * the console answers other clients in between.
 */

/** wall-clock budget of one slice: a waiting client sees at most about this much added */
export const SLICE_MS = 10;

/**
 * Call `each` on every item, in order. Returns null when all ran now (the
 * common, small case: nothing changes for the caller), else a promise that
 * resolves once the rest has run on later turns of the event loop.
 */
export function inSlices<T>(items: readonly T[], each: (item: T) => void, budgetMs = SLICE_MS): Promise<void> | null {
  let i = 0;
  const slice = (): boolean => {
    const end = performance.now() + budgetMs;
    while (i < items.length) {
      each(items[i++]!);
      if (i < items.length && performance.now() >= end) return false;
    }
    return true;
  };
  if (slice()) return null;
  return new Promise<void>((resolve, reject) => {
    const next = () => {
      try {
        if (slice()) resolve();
        else setImmediate(next);
      } catch (e) {
        reject(e);
      }
    };
    setImmediate(next);
  });
}
