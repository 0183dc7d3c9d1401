/**
 * `cfkctl tail svcref… [-n N] [-f]` (SPEC §3.5, §9): the daemon sends
 * `name<TAB>out|err<TAB>line` body lines; we print `name: line` (or
 * `name (stderr): line`). Without -f, one request per reference on one
 * connection. With -f a reply never ends, so each reference gets its own
 * connection and they all stream at once until Ctrl-C (exit 0) or until the
 * daemon ends them.
 */
import type { Context } from "./commands.ts";
import type { Connection } from "./connection.ts";
import { CliError, EXIT, say } from "./errors.ts";
import type { Invocation } from "./grammar.ts";
import { tailLine } from "./render.ts";
import { tailFromWire } from "../protocol/tail.ts";
import { selectors } from "./svcref.ts";

export async function tail(inv: Invocation, ctx: Context): Promise<number> {
  const sels = selectors(inv.args);
  const opts = (inv.lines !== undefined ? ` -n ${inv.lines}` : "") + (inv.follow ? " -f" : "");
  const print = (wire: string) => {
    const t = tailFromWire(wire);
    ctx.io.out(inv.json ? JSON.stringify(t) : tailLine(t));
  };
  const conns: Connection[] = [];
  let interrupted = false;
  const off = ctx.io.onInterrupt(() => {
    interrupted = true;
    for (const c of conns) c.abort();
  });
  try {
    let failed = false;
    const report = (e: unknown) => {
      if (interrupted) return;
      if (!(e instanceof CliError)) throw e;
      ctx.io.err(e.message);
      failed = true;
    };
    const run = async (c: Connection, sel: string) => {
      const r = await c.stream(`command tail ${sel}${opts}`, print, !inv.follow);
      if (r.error !== undefined) report(new CliError("daemon", say.daemonError(r.error)));
    };
    if (!inv.follow) {
      const c = await ctx.connect();
      conns.push(c);
      for (const sel of sels) await run(c, sel).catch(report);
      c.close();
    } else {
      for (const _ of sels) conns.push(await ctx.connect());
      await Promise.all(sels.map((sel, i) => run(conns[i]!, sel).catch(report)));
    }
    return interrupted ? EXIT.ok : failed ? EXIT.daemon : EXIT.ok;
  } finally {
    off();
    for (const c of conns) c.abort();
  }
}
