/**
 * The one rule for a unix socket's path, used by the console and by shared
 * sockets: nothing there, or a stale socket file (nobody answers on it,
 * removed here), may be bound; a socket that answers, or a file that is not
 * a socket, is left alone and reported.
 */
import { lstatSync } from "node:fs";
import { unlinkQuietly } from "./files.ts";
import * as libc from "./libc.ts";
import { StartError } from "./home.ts";
import { formatAddress, type Address } from "../../protocol/address.ts";

/** Why a path cannot be bound; `message` is the OS-level wording callers may pass on. */
export type PathProblem = { kind: "notSocket" | "live" | "unknown"; message: string };

/** Make `path` ready for bind(2): null when it is (a stale file is removed). */
export function clearStaleSocket(path: string): PathProblem | null {
  try {
    if (!lstatSync(path).isSocket()) return { kind: "notSocket", message: `${path} exists and is not a socket` };
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    return { kind: "unknown", message: (e as Error).message };
  }
  const live = libc.unixSocketAnswers(path);
  if (libc.isFailure(live)) return { kind: "unknown", message: live.message };
  if (live) return { kind: "live", message: libc.strerror(libc.C.EADDRINUSE) };
  unlinkQuietly(path); // stale: its server is gone
  return null;
}

/**
 * Listen at a daemon address through `bind`, after the path rule for a unix
 * address (the console and the HTTP face); a StartError says why not.
 */
export function listenAt(a: Address, bind: () => void): void {
  const problem = a.kind === "unix" ? clearStaleSocket(a.path) : null;
  if (problem?.kind === "live") throw new StartError(`${formatAddress(a)} is in use by another process`);
  if (problem?.kind === "unknown") throw new StartError(`cannot check ${formatAddress(a)}: ${problem.message}`);
  if (problem) throw new StartError(problem.message);
  try {
    bind();
  } catch (e) {
    throw new StartError(`cannot listen on ${formatAddress(a)}: ${(e as Error).message}`);
  }
}
