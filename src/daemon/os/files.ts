/** Small file chores shared by the daemon's rooms. */
import { readFileSync, unlinkSync } from "node:fs";

/** Remove a file; one that is already gone (or was removed by a racing starter) is fine. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** A file's text, or "" when it cannot be read (gone, or never there). */
export function readQuietly(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
