/**
 * A log that cannot be written until the test says so: the log config sends
 * everything (pattern `%c %m%n`) into a FIFO whose reader does not read.
 * Used to show that a writer faster than the log is slowed by its pipe.
 */
import { closeSync, constants, existsSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../harness.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/daemon/logging/defaults.ts";

export type SlowLog = {
  /** pass to cfkd as `-l` */
  config: string;
  /** start reading; resolves with everything read once `text` has arrived */
  readUntil(text: string, ms: number): Promise<string>;
} & Disposable;

export function slowLog(dir: string): SlowLog {
  const fifo = join(dir, "slow.fifo");
  Bun.spawnSync(["mkfifo", fifo]);
  // Our end, opened without blocking so that cfkd's open finds a reader.
  const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const config = join(dir, "fifo.config");
  writeFileSync(config, DEFAULT_LOG_CONFIG.replace("${CFKD_HOME}/cfkd.log", fifo).replace("%S %p %L %c - %m%n", "%c %m%n"));
  const buf = Buffer.alloc(1 << 20);
  let out = "";
  return {
    config,
    readUntil: (text, ms) =>
      waitFor(
        () => {
          for (;;) {
            let got = 0;
            try {
              got = readSync(rd, buf);
            } catch (e) {
              if ((e as { code?: string }).code !== "EAGAIN") throw e;
            }
            if (got <= 0) break;
            out += buf.toString("latin1", 0, got);
          }
          return out.includes(text) ? out : null;
        },
        `'${text}' through the fifo`,
        ms,
        5,
      ),
    [Symbol.dispose]: () => closeSync(rd),
  };
}

/** Wait until a writer that reports its progress in a file stops advancing. */
export async function waitUntilStuck(progressFile: string): Promise<number> {
  let last = -1;
  await waitFor(
    () => {
      const p = Number((existsSync(progressFile) && readFileSync(progressFile, "utf8")) || 0);
      const stuck = p === last && p > 0;
      last = p;
      return stuck;
    },
    "the writer to block",
    15_000,
    300,
  );
  return last;
}
