/**
 * The only module that imports log4js. It turns a translated plan into a
 * log4js configuration — one log4js category per logger the Log4perl config
 * defines, carrying that logger's *effective* level and appender list with
 * `inherit: false`, our own appenders registered as appender modules — and
 * sends records through log4js loggers.
 *
 * Why effective lists: log4js inherits appenders but merges duplicates and
 * has no additivity; giving every defined category its complete Log4perl
 * answer, and letting log4js resolve an undefined category to its nearest
 * defined ancestor (which it does), is exactly Log4perl's routing.
 */
import log4js from "log4js";
import type { CategoryPlan, LevelName } from "./translate.ts";
import type { AppenderFn, Rec } from "./appenders.ts";
import type { Level } from "./types.ts";

const NULL_APPENDER = "cfkd.none";

let loggers = new Map<string, log4js.Logger>();

/** A level's log4js value, for thresholds. */
export function levelValue(name: LevelName): number {
  return log4js.levels.getLevel(name).level;
}

/** Replace the whole log4js configuration. Throws if log4js refuses it. */
export function configureLog4js(categories: CategoryPlan[], appenders: Map<string, AppenderFn>): void {
  const apps: Record<string, { type: { configure: () => AppenderFn } }> = {
    [NULL_APPENDER]: { type: { configure: () => () => {} } },
  };
  for (const [name, fn] of appenders) apps[name] = { type: { configure: () => fn } };
  const cats: Record<string, { appenders: string[]; level: string; inherit: boolean }> = {};
  for (const c of categories) {
    cats[c.name === "" ? "default" : c.name] = { appenders: c.appenders.length ? c.appenders : [NULL_APPENDER], level: c.level, inherit: false };
  }
  log4js.configure({ appenders: apps, categories: cats, disableClustering: true } as unknown as log4js.Configuration);
  loggers = new Map();
}

const LEVELS: Record<Level, log4js.Level> = {
  debug: log4js.levels.DEBUG,
  info: log4js.levels.INFO,
  warn: log4js.levels.WARN,
  error: log4js.levels.ERROR,
};

/** Send one record to a category; log4js checks the level and calls the appenders. */
export function record(category: string, level: Level, rec: Rec): void {
  let l = loggers.get(category);
  if (!l) loggers.set(category, (l = log4js.getLogger(category)));
  l.log(LEVELS[level], rec);
}
