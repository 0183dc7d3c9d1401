/**
 * Issue 19: log4js loads only when a config routes by category
 * (logging/backend.ts); the direct route for root-only configs uses
 * log4js's own level values.
 */
import { expect, test } from "bun:test";
import log4js from "log4js";
import { join } from "node:path";
import { levelValue } from "../../src/daemon/logging/backend.ts";
import { LEVELS } from "../../src/daemon/logging/translate.ts";
import { BUN, ROOT, tempDir } from "../harness.ts";

test("the level values are log4js's", () => {
  for (const name of LEVELS) expect(levelValue(name)).toBe(log4js.levels.getLevel(name).level);
});

test("the default config never loads log4js; a config with category routing loads it, on reload too", () => {
  using dir = tempDir();
  // a fresh process: module state is per process, and bun test shares one
  const script = `
    import { writeFileSync, readFileSync } from "node:fs";
    import { openDaemonLog } from ${JSON.stringify(join(ROOT, "src/daemon/logging/daemonLog.ts"))};
    import { log4jsLoaded } from ${JSON.stringify(join(ROOT, "src/daemon/logging/backend.ts"))};
    const home = ${JSON.stringify(dir.path)};
    const log = openDaemonLog({ configFile: home + "/log.config", createMissing: true, home, env: {}, complain: () => {} });
    log.event("info", "one");
    const before = log4jsLoaded();
    writeFileSync(home + "/log.config", readFileSync(home + "/log.config", "utf8") + "log4perl.logger.service=DEBUG, ALL\\n");
    if (!log.reload()) throw new Error("reload failed");
    log.event("info", "two");
    await log.close();
    console.log(JSON.stringify({ before, after: log4jsLoaded(), log: readFileSync(home + "/cfkd.log", "utf8") }));
  `;
  const r = Bun.spawnSync([BUN, "-e", script], { cwd: ROOT, stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  const out = JSON.parse(r.stdout.toString());
  expect(out.before).toBe(false);
  expect(out.after).toBe(true);
  expect(out.log).toBe("- INFO 0 cfkd - one\n- INFO 0 cfkd - Reloading log config\n- INFO 0 cfkd - Log config reloaded\n- INFO 0 cfkd - two\n");
});
