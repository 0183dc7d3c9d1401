/** Small file chores shared by the daemon's rooms. */
import { unlinkSync } from "node:fs";

/** Remove a file; one that is already gone (or was removed by a racing starter) is fine. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
