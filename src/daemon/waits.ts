/**
 * `command wait [--state running|stopped] [--timeout SECS] [--fail-on-backoff]
 * SELECTOR…` (docs/readiness.md): the reply stays open until every selected
 * service is in the state asked for (OK, one `name<TAB>state` line each),
 * one of them fails (ERROR naming it and its reason), or the timeout passes
 * (ERROR naming who is not there yet). It listens to the state-change
 * stream (changes.ts); nobody polls.
 *
 * Races handled: a service already there when asked (answered at once, no
 * stream); a service destroyed while waited for (a failure); the client
 * going away (subscription and timer dropped).
 */
import type { Reply } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import { parseSeconds } from "../protocol/values.ts";
import type { Changes } from "./changes.ts";
import type { Clock } from "./os/clock.ts";
import type { Service } from "./service/service.ts";

export type WaitWorld = {
  select(args: string[]): readonly Service[] | string;
  get(name: string): Service | undefined;
  changes: Changes;
  clock: Clock;
};

type Goal = "running" | "stopped";

type Verdict = "there" | "waiting" | string;

export const waitUsage = () => "usage: wait [--state running|stopped] [--timeout SECS] [--fail-on-backoff] SELECTOR...";

/** Parse the options, then the selectors (`service NAME`, `tag TAG`, `all`), any number of them. */
function parse(args: string[]): { goal: Goal; timeoutMs: number | null; failOnBackoff: boolean; selectors: string[][] } | string {
  let goal: Goal = "running";
  let timeoutMs: number | null = null;
  let failOnBackoff = false;
  const selectors: string[][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--state") {
      const v = args[++i];
      if (v !== "running" && v !== "stopped") return `wait: --state must be running or stopped`;
      goal = v;
    } else if (a === "--timeout") {
      const n = parseSeconds(args[++i] ?? "");
      if (n === undefined) return `wait: --timeout must be a number of seconds`;
      timeoutMs = n * 1000;
    } else if (a === "--fail-on-backoff") {
      failOnBackoff = true;
    } else if (a === "all") {
      selectors.push(["all"]);
    } else if ((a === "service" || a === "tag") && args[i + 1] !== undefined) {
      selectors.push([a, args[++i]!]);
    } else {
      return waitUsage();
    }
  }
  if (selectors.length === 0) return waitUsage();
  return { goal, timeoutMs, failOnBackoff, selectors };
}

function verdict(s: Service | undefined, goal: Goal, failOnBackoff: boolean): Verdict {
  if (!s) return "was destroyed";
  const st = s.state;
  if (goal === "stopped") return st === "stopped" || st === "fail" || st === "fatal" ? "there" : "waiting";
  if (st === "running") return "there";
  if (st === "fatal" || st === "fail" || (st === "backoff" && failOnBackoff)) {
    return `is ${s.stateText}`;
  }
  return "waiting";
}

/** Where a service that is not there yet is. */
function where(s: Service): string {
  const st = s.status();
  const more = st.waiting || st.fail_reason;
  return `${s.name} is ${s.state}${more ? ` (${more})` : ""}`;
}

export function waitCommand(args: string[], w: WaitWorld): Reply {
  const p = parse(args);
  if (typeof p === "string") return { body: [], error: p };
  const names = new Set<string>();
  for (const sel of p.selectors) {
    const r = w.select(sel);
    if (typeof r === "string") return { body: [], error: r };
    for (const s of r) names.add(s.name);
  }
  if (names.size === 0) return { body: [], error: msg.noValidService() };
  const order = [...names].sort();
  const lines = () => order.map((n) => `${n}\t${w.get(n)?.state ?? "destroyed"}`);
  /** null: keep waiting; else the reply */
  const decide = (): Reply | null => {
    const failures: string[] = [];
    let all = true;
    for (const n of order) {
      const v = verdict(w.get(n), p.goal, p.failOnBackoff);
      if (v === "waiting") all = false;
      else if (v !== "there") failures.push(`${n} ${v}`);
    }
    if (failures.length > 0) return { body: lines(), error: failures.join("; ") };
    return all ? { body: lines() } : null;
  };
  const now = decide();
  if (now !== null) return now;
  if (p.timeoutMs === 0) return timedOut(order, w, 0, lines());
  return {
    body: [],
    follow: (out) => {
      let done = false;
      const finish = (r: Reply) => {
        if (done) return;
        done = true;
        stop();
        out.send(r.body);
        out.end(r.error);
      };
      const unsubscribe = w.changes.subscribe((c) => {
        if (!names.has(c.name)) return;
        const r = decide();
        if (r !== null) finish(r);
      });
      const cancel = p.timeoutMs === null ? null : w.clock.after(p.timeoutMs, () => finish(timedOut(order, w, p.timeoutMs!, lines())));
      const stop = () => {
        unsubscribe();
        cancel?.();
      };
      return () => {
        done = true;
        stop();
      };
    },
  };
}

function timedOut(order: string[], w: WaitWorld, ms: number, body: string[]): Reply {
  const late = order.map((n) => w.get(n)).filter((s): s is Service => s !== undefined).map(where);
  return { body, error: `timeout after ${ms / 1000}s: ${late.join("; ")}` };
}
