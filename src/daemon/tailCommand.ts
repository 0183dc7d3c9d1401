/**
 * `command tail [SEL] [-n N] [-f]` (SPEC §3.5): the last N (default 10)
 * captured lines of the selected services, oldest first, as
 * `name<TAB>out|err<TAB>line`; with -f the reply stays open and streams new
 * lines. The selector decides per line, so `tail tag web -f` also shows a
 * service that joins the tag later.
 */
import type { Reply } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import type { Tail } from "./logging/tail.ts";

export const DEFAULT_TAIL_LINES = 10;

export type TailArgs = { selector: string[]; lines: number; follow: boolean };

/** Split options from selector words; a string is the error. */
export function parseTailArgs(args: string[]): TailArgs | string {
  const out: TailArgs = { selector: [], lines: DEFAULT_TAIL_LINES, follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-f") out.follow = true;
    else if (a === "-n" || /^-n\d+$/.test(a)) {
      const v = a === "-n" ? args[++i] : a.slice(2);
      if (v === undefined || !/^\d+$/.test(v)) return msg.tailUsage();
      out.lines = Number(v);
    } else if (a.startsWith("-")) return msg.tailUsage();
    else out.selector.push(a);
  }
  return out;
}

/** `match`: the selector as a test on service names, or the selector's error. */
export function tailCommand(args: string[], match: (selector: string[]) => ((name: string) => boolean) | string, tail: Tail): Reply {
  const t = parseTailArgs(args);
  if (typeof t === "string") return { body: [], error: t };
  const m = match(t.selector);
  if (typeof m === "string") return { body: [], error: m };
  const body = tail.recent(m, t.lines);
  return t.follow ? { body, follow: (out) => tail.follow(m, out) } : { body };
}
