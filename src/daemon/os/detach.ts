/**
 * `cfkd -d` (SPEC §2). Bun cannot fork, so the launching process runs the
 * same program again, in a new session (no controlling terminal), stdio on
 * /dev/null, and waits until the new daemon reports that its management
 * socket is listening (exit 0) or why it could not start (exit 1, reason
 * printed). The report travels through a file in a private temporary
 * directory named by an environment variable: the daemon's stdio are
 * /dev/null and the spawner passes no extra pipe.
 *
 * Races handled: the daemon dies before reporting (its exit is noticed,
 * and a report written just before is still read); a report is read while
 * being written (it is written to a temporary name, then renamed); the
 * daemon never reports (it is killed after the deadline, so a failed
 * `cfkd -d` leaves nothing running).
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSpawner, type Spawner } from "./spawner.ts";
import { SIGKILL, sendSignal } from "./signals.ts";

/** Set in the re-launched daemon's environment: where to write its report. */
export const REPORT_ENV = "_CFKD_DETACHED_REPORT";

const READY = "ready";

/**
 * The command line that runs this program again: the compiled executable
 * with its arguments, or, in development, bun with the script and its
 * arguments. (In a compiled Bun executable argv[1] is the embedded entry,
 * `/$bunfs/root/NAME`, and execPath the executable itself.)
 */
export function selfCommand(execPath: string, argv: readonly string[]): string[] {
  const script = argv[1];
  const compiled = script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:\\~BUN\\");
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, script, ...argv.slice(2)];
}

export type LaunchResult = { ok: true; pid: number } | { ok: false; reason: string };

export type LaunchOptions = {
  cmd: string[];
  /**
   * the name to start it under: cfkd and cfkctl are one executable that
   * runs as the one it is named after (src/cfk.ts), and cmd[0] may be a
   * symlink's target named otherwise
   */
  argv0?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** the daemon starts here (to resolve relative paths), then moves to / itself */
  cwd: string;
  timeoutMs?: number;
  spawner?: Spawner;
};

/** Start the daemon detached and wait for its report. */
export async function launchDetached(o: LaunchOptions): Promise<LaunchResult> {
  const dir = mkdtempSync(join(tmpdir(), "cfkd-start-"));
  const report = join(dir, "report");
  try {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.env)) if (v !== undefined) env[k] = v;
    env[REPORT_ENV] = report;
    let exit: { code: number | null; signal: number | null } | null = null;
    let pid: number;
    try {
      pid = (o.spawner ?? bunSpawner)(
        { argv: o.cmd, argv0: o.argv0, env, cwd: o.cwd, newSession: true, stdin: "ignore", stdout: "ignore", stderr: "ignore" },
        (code, signal) => (exit = { code, signal }),
      ).pid;
    } catch (e) {
      return { ok: false, reason: `cannot start ${o.cmd[0]}: ${(e as Error).message}` };
    }
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (;;) {
      const ended = exit as { code: number | null; signal: number | null } | null; // read before the report: see races
      const text = readReport(report);
      if (text === READY) return { ok: true, pid };
      if (text !== null) return { ok: false, reason: text.replace(/^error: /, "") };
      if (ended) {
        const how = ended.signal !== null ? `was killed by signal ${ended.signal}` : `exited with code ${ended.code}`;
        return { ok: false, reason: `the daemon ${how} before it was ready` };
      }
      if (Date.now() > deadline) {
        sendSignal(pid, SIGKILL);
        return { ok: false, reason: `the daemon was not ready after ${Math.round((o.timeoutMs ?? 30_000) / 1000)} s; killed it` };
      }
      await Bun.sleep(5);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readReport(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** The re-launched daemon's side: report once, then forget the channel. */
export type DetachedChild = { ready(): void; failed(reason: string): void };

/**
 * Are we the daemon that `cfkd -d` re-launched? Removes the marker from
 * `env` so that services do not inherit it.
 */
export function detachedChild(env: Record<string, string | undefined>): DetachedChild | null {
  const path = env[REPORT_ENV];
  if (!path) return null;
  delete env[REPORT_ENV];
  let done = false;
  const write = (text: string) => {
    if (done) return;
    done = true;
    try {
      writeFileSync(`${path}.tmp`, `${text}\n`, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    } catch {
      /* the launcher gave up and removed its directory: nobody to tell */
    }
  };
  return { ready: () => write(READY), failed: (reason) => write(`error: ${reason}`) };
}
