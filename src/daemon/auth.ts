/**
 * The console's shared secret (SPEC §10): read from a file only its owner
 * can read, compared in constant time.
 */
import { readFileSync, statSync } from "node:fs";
import { createHash, timingSafeEqual } from "node:crypto";
import { StartError } from "./os/home.ts";

/** Read the token file; refuse one that others can read, or an empty one. */
export function loadToken(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new StartError(`cannot read auth token file ${file}: ${(e as Error).message}`);
  }
  if (st.mode & 0o077) {
    throw new StartError(`auth token file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  const token = readFileSync(file, "utf8").trim();
  if (token === "") throw new StartError(`auth token file ${file} is empty`);
  return token;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}
