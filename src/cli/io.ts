/**
 * What the client needs from the world, passed in so that the whole CLI can
 * run in-process in tests (output captured, stdin given, clock fixed). The
 * real one is built by the entry, src/cfkctl.ts.
 */
import type { UtcOffset } from "./localtime.ts";

export type Io = {
  /** print text and a newline on stdout */
  out(text: string): void;
  /** print text and a newline on stderr */
  err(text: string): void;
  /** does stdout want colours (a terminal, and NO_COLOR unset)? asked only when it matters */
  colour(): Promise<boolean>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** epoch milliseconds */
  now(): number;
  /** the local zone (loaded only when a local date is shown) */
  utcOffset(): Promise<UtcOffset>;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  /** replace a file atomically (written aside, then renamed over it), mode 0600 */
  writeFile(path: string, text: string): Promise<void>;
  /** call `cb` on Ctrl-C (SIGINT) until the returned function is called */
  onInterrupt(cb: () => void): () => void;
};

/** Replace a file atomically: written aside (mode 0600), then renamed over it. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const { rename, writeFile, unlink } = await import("node:fs/promises"); // only `save` needs it
  const tmp = `${path}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** SPEC §9 colour rule, given whether stdout is a terminal. */
export function wantsColour(isTerminal: boolean, env: Io["env"]): boolean {
  return isTerminal && !env.NO_COLOR && env.TERM !== "dumb";
}
