/**
 * `command events [SEL ...] [-n N] [-f]` [ext] (docs/events.md): the state
 * changes of the selected services (none: all), one line each
 * (protocol/events.ts). Without options the reply stays open and streams
 * every new change until the client disconnects; `-n N` first sends the
 * last N recorded changes, and then ends the reply unless `-f` is given too.
 */
import type { Reply } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import { EVENTS_HIGH, type EventLog } from "./events.ts";
import { matchAny, parseTailArgs, type Matcher } from "./tailCommand.ts";

export function eventsCommand(args: string[], match: (selector: string[]) => Matcher | string, log: EventLog): Reply {
  const a = parseTailArgs(args, msg.eventsUsage());
  if (typeof a === "string") return { body: [], error: a };
  const m = matchAny(a.selector, match);
  if (typeof m === "string") return { body: [], error: m };
  const body = a.lines === undefined ? [] : log.recent(m, a.lines);
  if (a.lines !== undefined && !a.follow) return { body };
  return { body, follow: (out) => log.follow(m, out), followHigh: EVENTS_HIGH };
}
