/**
 * The home directory and its lock file (SPEC §1). The lock holds the
 * daemon's pid; a second daemon on the same home refuses to start and names
 * the running pid; a lock whose pid is gone is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { unlinkQuietly } from "./files.ts";

export class StartError extends Error {}

/** Create the home (0700) or check that nobody else can write to it. */
export function prepareHome(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StartError(`cannot create home directory ${dir}: ${(e as Error).message}`);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new StartError(`home ${dir} is not a directory`);
  if (st.mode & 0o022) {
    throw new StartError(`home ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 700 ${dir}`);
  }
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) {
    throw new StartError(`home ${dir} belongs to uid ${st.uid}, not to this user (uid ${process.getuid()})`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

export type Lock = { path: string; release(): void };

/** Take the home's lock, or throw a StartError naming the running daemon. */
export function acquireLock(home: string): Lock {
  const path = join(home, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw new StartError(`cannot create lock ${path}: ${(e as Error).message}`);
      const pid = Number(readSafe(path).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StartError(`cfkd is already running on ${home} with pid ${pid} (lock ${path})`);
      }
      unlinkQuietly(path); // stale: its daemon is gone (or another starter removed it first: try again)
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    chmodSync(path, 0o600);
    return {
      path,
      release() {
        if (Number(readSafe(path).trim()) === process.pid) {
          unlinkQuietly(path);
        }
      },
    };
  }
  throw new StartError(`cannot take lock ${path}: another cfkd is starting at the same time`);
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
