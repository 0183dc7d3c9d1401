/**
 * `cfkctl events [svcref…] [-n N] [-f] [--json]` (docs/events.md): the
 * recent state changes of the services (default: the last 10), or with -f
 * every new one as it happens (after the last N, default none), until
 * Ctrl-C (exit 0) or until cfkd goes away (exit 3). All references go in
 * one request, so changes of different services arrive in the order cfkd
 * saw them. A line saying that events were missed (this client read too
 * slowly) goes to stderr, or as `{"missed": N}` with --json.
 */
import type { Context } from "./commands.ts";
import { CliError, EXIT, daemonError } from "./errors.ts";
import type { Invocation } from "./grammar.ts";
import { eventJson, eventText } from "./render.ts";
import { selectors } from "./svcref.ts";
import { eventFromWire } from "../protocol/events.ts";

export async function events(inv: Invocation, ctx: Context): Promise<number> {
  const n = inv.lines ?? (inv.follow ? 0 : 10);
  const line = `command events ${selectors(inv.args).join(" ")} -n ${n}${inv.follow ? " -f" : ""}`;
  const print = (wire: string) => {
    const e = eventFromWire(wire);
    if (e === null) return;
    if (e.kind === "missed") {
      if (inv.json) ctx.io.out(JSON.stringify({ at: new Date(e.at).toISOString(), missed: e.count }));
      else ctx.io.err(`cfkctl: ${e.count} event${e.count === 1 ? "" : "s"} missed: this client reads too slowly`);
    } else ctx.io.out(inv.json ? eventJson(e) : eventText(e));
  };
  const conn = await ctx.connect();
  let interrupted = false;
  const off = ctx.io.onInterrupt(() => {
    interrupted = true;
    conn.abort();
  });
  try {
    const r = await conn.stream(line, print, !inv.follow); // -f runs until stopped: no --timeout
    if (r.error !== undefined) throw daemonError(r.error);
    return EXIT.ok;
  } catch (e) {
    if (interrupted && e instanceof CliError) return EXIT.ok;
    throw e;
  } finally {
    off();
    conn.close();
  }
}
