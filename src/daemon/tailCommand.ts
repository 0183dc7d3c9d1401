/**
 * `command tail [SEL ...] [-n N] [-f]` (SPEC §3.5): the last N (default 10)
 * captured lines of the selected services, oldest first, as
 * `name<TAB>out|err<TAB>line`; with -f the reply stays open and streams new
 * lines. SEL is `service NAME`, `tag TAG` or `all`, and may be repeated
 * (`cfkctl tail web1 @db` is one request); none means all. Selectors decide
 * per line, so `tail tag web -f` also shows a service that joins the tag
 * later.
 */
import type { Reply } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import type { Tail } from "./logging/tail.ts";

export const DEFAULT_TAIL_LINES = 10;

/** `lines` undefined: no `-n` given. */
export type TailArgs = { selector: string[]; lines: number | undefined; follow: boolean };

/** Split options from selector words; a string is the error (`usage`). */
export function parseTailArgs(args: string[], usage: string = msg.tailUsage()): TailArgs | string {
  const out: TailArgs = { selector: [], lines: undefined, follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-f") out.follow = true;
    else if (a === "-n" || /^-n\d+$/.test(a)) {
      const v = a === "-n" ? args[++i] : a.slice(2);
      if (v === undefined || !/^\d+$/.test(v)) return usage;
      out.lines = Number(v);
    } else if (a.startsWith("-")) return usage;
    else out.selector.push(a);
  }
  return out;
}

/** `service NAME tag T all` → [[service, NAME], [tag, T], [all]]; a malformed one is left for `match` to reject. */
export function selectorGroups(words: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < words.length; ) {
    const w = words[i]!;
    const take = (w === "service" || w === "tag") && i + 1 < words.length ? 2 : 1;
    out.push(words.slice(i, i + take));
    i += take;
  }
  return out;
}

export type Matcher = (name: string) => boolean;

/** Selector words (none: all) as one test on names, or the first selector's error. */
export function matchAny(words: string[], match: (selector: string[]) => Matcher | string): Matcher | string {
  const tests: Matcher[] = [];
  for (const group of words.length ? selectorGroups(words) : [[]]) {
    const m = match(group);
    if (typeof m === "string") return m;
    tests.push(m);
  }
  return tests.length === 1 ? tests[0]! : (name) => tests.some((f) => f(name));
}

/** `match`: one selector as a test on service names, or the selector's error. */
export function tailCommand(args: string[], match: (selector: string[]) => Matcher | string, tail: Tail): Reply {
  const t = parseTailArgs(args);
  if (typeof t === "string") return { body: [], error: t };
  const m = matchAny(t.selector, match);
  if (typeof m === "string") return { body: [], error: m };
  const body = tail.recent(m, t.lines ?? DEFAULT_TAIL_LINES);
  return t.follow ? { body, follow: (out) => tail.follow(m, out) } : { body };
}
