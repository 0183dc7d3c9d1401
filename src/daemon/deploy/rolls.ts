/**
 * The console's deploy statements (docs/prefork.md) and the rolls under way:
 *
 * - `command restart_rolling [batch=N] [pause=S] [timeout=S] SELECTOR…`
 * - `command reload [timeout=S] SELECTOR…`
 * - `command rolls`: one line per roll under way (id, what, progress, services)
 * - `command roll_cancel ID|all`: stop it after what is in flight
 *
 * SELECTOR is `service NAME`, `tag TAG` or `all`, and may be repeated; the
 * options may come anywhere. A roll's reply streams progress lines, then OK
 * or `ERROR: why`; it goes on if the client leaves.
 */
import type { Reply } from "../../protocol/framing.ts";
import { msg } from "../../protocol/messages.ts";
import { parseSeconds } from "../../protocol/values.ts";
import type { Service } from "../service/service.ts";
import { selectorGroups } from "../tailCommand.ts";
import { Roll, type RollOptions, type RollWorld } from "./roll.ts";
import type { Verb } from "./replacement.ts";

export const DEFAULT_TIMEOUT_SECS = 60;

export type RollsWorld = RollWorld & {
  select(args: string[]): readonly Service[] | string;
};

const fail = (error: string): Reply => ({ body: [], error });

export const rollUsage = (verb: Verb) =>
  verb === "restart" ? "usage: restart_rolling [batch=N] [pause=SECS] [timeout=SECS] SELECTOR..." : "usage: reload [timeout=SECS] SELECTOR...";

/** Options and selector words; a string is the error. */
export function parseRollArgs(verb: Verb, args: string[]): { opts: RollOptions; selector: string[] } | string {
  const opts: RollOptions = { verb, batch: verb === "restart" ? 1 : Number.MAX_SAFE_INTEGER, pauseMs: 0, timeoutMs: DEFAULT_TIMEOUT_SECS * 1000 };
  const selector: string[] = [];
  for (const a of args) {
    const m = /^(batch|pause|timeout)=(.*)$/.exec(a);
    if (!m) {
      selector.push(a);
      continue;
    }
    const [, key, v] = m as unknown as [string, string, string];
    if (key === "batch" && verb === "restart") {
      if (!/^[1-9]\d{0,5}$/.test(v)) return `batch must be a whole number of services, 1 or more`;
      opts.batch = Number(v);
    } else if (key === "pause" && verb === "restart") {
      const n = parseSeconds(v);
      if (n === undefined) return `pause must be a number of seconds`;
      opts.pauseMs = n * 1000;
    } else if (key === "timeout") {
      const n = parseSeconds(v);
      if (n === undefined || n === 0) return `timeout must be a number of seconds above 0`;
      opts.timeoutMs = n * 1000;
    } else return rollUsage(verb);
  }
  if (selector.length === 0) return rollUsage(verb);
  return { opts, selector };
}

export class Rolls {
  private rolls = new Map<number, Roll>();
  private nextId = 1;

  constructor(private readonly w: RollsWorld) {}

  /** `restart_rolling …` / `reload …` */
  start(verb: Verb, args: string[]): Reply {
    const p = parseRollArgs(verb, args);
    if (typeof p === "string") return fail(p);
    const chosen: Service[] = [];
    for (const group of selectorGroups(p.selector)) {
      const r = this.w.select(group);
      if (typeof r === "string") return fail(r);
      for (const s of r) if (!chosen.includes(s)) chosen.push(s);
    }
    if (chosen.length === 0) return fail(msg.noValidService());
    if (this.w.shuttingDown()) return fail(msg.shuttingDown());
    for (const s of chosen) {
      if (s.props.cmd === null) return fail(msg.noCommand(s.name));
      const other = this.holding(s.name);
      if (other) return fail(`${s.name} is being replaced by roll ${other.id}`);
    }
    const roll = new Roll(this.nextId++, chosen.map((s) => s.name), p.opts, this.w, (r) => this.rolls.delete(r.id));
    this.rolls.set(roll.id, roll);
    roll.run();
    return {
      body: [],
      follow: (out) => {
        roll.attach({ line: (l) => out.send([l]), end: (e) => out.end(e) });
        return () => roll.detach();
      },
    };
  }

  /** `rolls`: the rolls under way. */
  list(args: string[]): Reply {
    if (args.length > 0) return fail(msg.tooManyArguments("rolls"));
    return { body: [...this.rolls.values()].map((r) => r.describe()) };
  }

  /** `roll_cancel ID|all` */
  cancel(args: string[]): Reply {
    if (args.length !== 1) return fail("usage: roll_cancel ID|all");
    const which = args[0] === "all" ? [...this.rolls.values()] : [this.rolls.get(Number(args[0]))].filter((r) => r !== undefined);
    if (which.length === 0 && args[0] !== "all") return fail(`no roll ${args[0]} under way`);
    for (const r of which) r.cancel("cancelled");
    return { body: which.map((r) => `cancelled roll ${r.id}`) };
  }

  private holding(name: string): Roll | undefined {
    for (const r of this.rolls.values()) if (r.names.includes(name)) return r;
    return undefined;
  }
}
