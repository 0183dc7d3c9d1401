/**
 * The home directory and its lock file (SPEC §1). The lock file holds the
 * daemon's pid; a second daemon on the same home refuses to start and names
 * the running pid. The lock itself is flock(2), not the pid: see acquireLock.
 */
import { closeSync, constants as C, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { readQuietly, unlinkQuietly } from "./files.ts";
import * as libc from "./libc.ts";
import { join } from "node:path";

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

export type Lock = { path: string; release(): void };

/**
 * Take the home's lock, or throw a StartError naming the running daemon.
 *
 * The lock is flock(2) on the lock file, held on a close-on-exec descriptor
 * for the daemon's whole life: the kernel releases it when cfkd dies, however
 * it dies, and no child inherits it. The pid written in the file is only for
 * the message; whatever process it names (a reused pid, a zombie) does not
 * matter.
 *
 * Races handled: the running daemon removes the file at shutdown; a starter
 * that opened the old file just before may then lock a file that has no name
 * any more, so after locking it checks that the path still names the file it
 * holds, and starts over if not.
 */
export function acquireLock(home: string): Lock {
  const path = join(home, "lock");
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, C.O_RDWR | C.O_CREAT, 0o600);
    } catch (e) {
      throw new StartError(`cannot create lock ${path}: ${(e as Error).message}`);
    }
    const failed = (why: string) => {
      closeSync(fd);
      return new StartError(why);
    };
    const cloexec = libc.setCloexec(fd);
    if (cloexec) throw failed(`cannot use lock ${path}: ${cloexec.message}`);
    const got = libc.tryLockExclusive(fd);
    if (libc.isFailure(got)) throw failed(`cannot lock ${path}: ${got.message}`);
    if (!got) {
      const pid = readQuietly(path).trim();
      throw failed(`cfkd is already running on ${home}${/^\d+$/.test(pid) ? ` with pid ${pid}` : ""} (lock ${path})`);
    }
    if (!sameFile(fd, path)) {
      closeSync(fd); // the file was removed (its daemon stopped) after we opened it
      continue;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    fchmodSync(fd, 0o600);
    let held = true;
    return {
      path,
      release() {
        if (!held) return;
        held = false;
        // the name first, then the lock: a starter waiting on this file finds it gone and starts over
        unlinkQuietly(path);
        closeSync(fd);
      },
    };
  }
  throw new StartError(`cannot take lock ${path}: another cfkd is starting at the same time`);
}

/** Does path still name the file open on fd? */
function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
