/**
 * `GET /ready[?svc=REF,…]`: is every selected service ready?
 *
 * REF is a service name, `@tag` or `all`; several may be given, comma
 * separated or as repeated `svc=` parameters. Without `svc`, the selection
 * is every service meant to be up: a service the operator stopped (or that
 * finished, `stopped`) does not count against readiness. A service named
 * explicitly, by tag or by `all` must be ready whatever its state.
 */
import type { ServiceRow } from "./facts.ts";

export type ReadyAnswer =
  | { kind: "ok"; ready: boolean; services: { name: string; state: string; ready: boolean; reason: string }[] }
  | { kind: "unknown"; message: string };

/** The selection named by the `svc` parameters, or why it names nothing. */
export function selectRows(rows: readonly ServiceRow[], refs: readonly string[]): readonly ServiceRow[] | string {
  const wanted = refs.flatMap((r) => r.split(",")).map((r) => r.trim()).filter((r) => r !== "");
  if (wanted.length === 0) return rows;
  const picked = new Set<ServiceRow>();
  for (const ref of wanted) {
    let hits: readonly ServiceRow[];
    if (ref === "all") hits = rows;
    else if (ref.startsWith("@")) hits = rows.filter((r) => r.tags.includes(ref.slice(1)));
    else hits = rows.filter((r) => r.name === ref);
    if (hits.length === 0 && ref !== "all") return ref.startsWith("@") ? `no service has tag '${ref.slice(1)}'` : `unknown service '${ref}'`;
    for (const h of hits) picked.add(h);
  }
  return rows.filter((r) => picked.has(r));
}

/** Why a service is not ready, in a few words ("" when it is). */
export function notReadyReason(r: ServiceRow): string {
  if (r.ready) return "";
  if (r.fail_reason !== "") return r.fail_reason;
  return r.state === "running" ? "not ready yet" : r.state;
}

export function readiness(rows: readonly ServiceRow[], refs: readonly string[]): ReadyAnswer {
  const sel = selectRows(rows, refs);
  if (typeof sel === "string") return { kind: "unknown", message: sel };
  const explicit = refs.some((r) => r.trim() !== "");
  const counted = explicit ? sel : sel.filter((r) => r.state !== "stopped");
  const services = counted.map((r) => ({ name: r.name, state: r.state, ready: r.ready, reason: notReadyReason(r) }));
  return { kind: "ok", ready: services.every((s) => s.ready), services };
}
