/**
 * The only module that imports log4js, and the router in front of it.
 *
 * A config with category routing — loggers besides the root, each with its
 * own level and appenders — goes to log4js: one log4js category per logger
 * the Log4perl config defines, carrying that logger's *effective* level and
 * appender list with `inherit: false`, our own appenders registered as
 * appender modules, and log4js resolving an undefined category to its
 * nearest defined ancestor (which it does) — exactly Log4perl's routing.
 *
 * A config with the root logger only — the default config and the common
 * "everything to one file (and the screen)" ones — has nothing to route:
 * every record is checked against the root's level and handed to its
 * appenders directly, with the same event log4js would build. log4js is
 * then not even loaded (it costs cfkd memory and start-up for nothing); it
 * is loaded, synchronously, the first time a config needs it, including on a
 * reload (SIGUSR1). docs/logging.md says the same for operators.
 */
import type * as Log4js from "log4js";
import type { CategoryPlan, LevelName } from "./translate.ts";
import type { AppenderEvent, AppenderFn, Rec } from "./appenders.ts";
import type { Level } from "./types.ts";

const NULL_APPENDER = "cfkd.none";

/** log4js's level values (log4js/lib/levels.js; test/logging/backend.test.ts holds them to it) */
const LEVEL_VALUES: Record<LevelName, number> = {
  ALL: Number.MIN_VALUE,
  TRACE: 5000,
  DEBUG: 10000,
  INFO: 20000,
  WARN: 30000,
  ERROR: 40000,
  FATAL: 50000,
  OFF: Number.MAX_VALUE,
};

const EVENT_LEVELS: Record<Level, AppenderEvent["level"]> = {
  debug: { level: LEVEL_VALUES.DEBUG, levelStr: "DEBUG" },
  info: { level: LEVEL_VALUES.INFO, levelStr: "INFO" },
  warn: { level: LEVEL_VALUES.WARN, levelStr: "WARN" },
  error: { level: LEVEL_VALUES.ERROR, levelStr: "ERROR" },
};

/** A level's log4js value, for thresholds. */
export function levelValue(name: LevelName): number {
  return LEVEL_VALUES[name];
}

/** The direct route (root logger only), or null while log4js routes. */
let direct: { level: number; appenders: AppenderFn[] } | null = null;
let log4js: typeof Log4js | null = null;
let loggers = new Map<string, Log4js.Logger>();
/** our levels as log4js's, looked up once when it loads, not per record */
let log4jsLevels: Record<Level, Log4js.Level> | null = null;

/** Is log4js loaded (for tests and docs: the default config must not load it)? */
export function log4jsLoaded(): boolean {
  return log4js !== null;
}

/** Replace the whole routing. Throws if log4js refuses it. */
export function configure(categories: CategoryPlan[], appenders: Map<string, AppenderFn>): void {
  if (categories.length === 1 && categories[0]!.name === "") {
    const root = categories[0]!;
    direct = { level: LEVEL_VALUES[root.level], appenders: root.appenders.map((a) => appenders.get(a)!) };
    return;
  }
  if (log4js === null) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a config routes by category
    log4js = require("log4js") as typeof Log4js;
    const { DEBUG, INFO, WARN, ERROR } = log4js.levels;
    log4jsLevels = { debug: DEBUG, info: INFO, warn: WARN, error: ERROR };
  }
  const apps: Record<string, { type: { configure: () => AppenderFn } }> = {
    [NULL_APPENDER]: { type: { configure: () => () => {} } },
  };
  for (const [name, fn] of appenders) apps[name] = { type: { configure: () => fn } };
  const cats: Record<string, { appenders: string[]; level: string; inherit: boolean }> = {};
  for (const c of categories) {
    cats[c.name === "" ? "default" : c.name] = { appenders: c.appenders.length ? c.appenders : [NULL_APPENDER], level: c.level, inherit: false };
  }
  log4js.configure({ appenders: apps, categories: cats, disableClustering: true } as unknown as Log4js.Configuration);
  loggers = new Map();
  direct = null;
}

/** Send one record to a category; the level is checked, then the appenders are called. */
export function record(category: string, level: Level, rec: Rec): void {
  if (direct) {
    const l = EVENT_LEVELS[level];
    if (l.level < direct.level) return;
    const ev: AppenderEvent = { categoryName: category, level: l, startTime: new Date(), data: [rec] };
    for (const a of direct.appenders) a(ev);
    return;
  }
  let l = loggers.get(category);
  if (!l) loggers.set(category, (l = log4js!.getLogger(category)));
  l.log(log4jsLevels![level], rec);
}
