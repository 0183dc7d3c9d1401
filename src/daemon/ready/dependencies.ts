/**
 * Start order between services (`after=`, docs/readiness.md): who waits for
 * whom, what to start first, what to stop first, and the cycle check. The
 * life cycle holds a starting service (`held`) while `waitingFor` names a
 * dependency that is not running; this module starts those dependencies and
 * tells the held service when they run (`depsReady`) or fail (`depFailed`).
 */
import type { Service } from "../service/service.ts";
import type { ServiceProps } from "../service/props.ts";
import { findCycle, resolveRefs, type DepNode } from "./deps.ts";

export class Dependencies {
  /** services held in `starting` until their dependencies run */
  private held = new Set<Service>();

  constructor(
    private readonly list: () => readonly Service[],
    private readonly get: (name: string) => Service | undefined,
  ) {}

  private nodes(): DepNode[] {
    return this.list().map((s) => ({ name: s.name, tags: s.props.tags, after: s.props.after }));
  }

  /** The services `svc` comes after (declared ones; an unknown name is no dependency). */
  of(svc: Service): Service[] {
    if (svc.props.after.length === 0) return [];
    return resolveRefs(svc.props.after, this.nodes(), svc.name).map((n) => this.get(n)!);
  }

  /** The dependencies that are not running, as "db, cache", or null. */
  waitingFor(svc: Service): string | null {
    const missing = this.of(svc).filter((d) => d.state !== "running").map((d) => d.name);
    return missing.length === 0 ? null : missing.join(", ");
  }

  /** Services that come after `svc`. */
  dependentsOf(svc: Service): Service[] {
    return this.list().filter((s) => s.props.after.length > 0 && this.of(s).includes(svc));
  }

  /** Is something up (or about to retry) that comes after `svc`? Shutdown stops it first. */
  neededByUp(svc: Service): boolean {
    return this.dependentsOf(svc).some((d) => d.active);
  }

  /** How many stop rounds shutdown needs: the longest chain of `after` (1 without any). */
  levels(): number {
    const memo = new Map<Service, number>();
    const depth = (s: Service): number => {
      let d = memo.get(s);
      if (d !== undefined) return d;
      memo.set(s, 1); // cycles are refused at declaration; this only guards
      d = 1 + Math.max(0, ...this.of(s).map(depth));
      memo.set(s, d);
      return d;
    };
    return Math.max(1, ...this.list().filter((s) => s.props.after.length > 0).map(depth));
  }

  /** `stop --with-dependents`: the selection and everything after it, dependents first. */
  withDependents(sel: readonly Service[]): Service[] {
    const out: Service[] = [];
    const seen = new Set<Service>();
    const visit = (s: Service) => {
      if (seen.has(s)) return;
      seen.add(s);
      for (const d of this.dependentsOf(s)) visit(d);
      out.push(s);
    };
    for (const s of sel) visit(s);
    return out;
  }

  /** Would `name` with these properties close a cycle? The error names it. */
  cycleWith(name: string, props: ServiceProps): string | null {
    const nodes = this.nodes().filter((n) => n.name !== name);
    nodes.unshift({ name, tags: props.tags, after: props.after }); // the cycle is named from here
    const c = findCycle(nodes);
    return c === null ? null : `after: cycle ${c.join(" → ")}`;
  }

  /** A service changed state: hold it, start its dependencies, release or fail who waits for it. */
  changed(svc: Service): void {
    if (svc.held) {
      if (!this.held.has(svc)) {
        this.held.add(svc);
        // starting a dependent starts its dependencies (even ones the operator stopped)
        for (const d of this.of(svc)) if (!d.active) d.dispatch({ kind: "start" });
      }
      return;
    }
    this.held.delete(svc);
    if (this.held.size === 0) return;
    const st = svc.state;
    if (st !== "running" && st !== "fatal" && st !== "fail") return;
    for (const h of [...this.held]) {
      if (!this.of(h).includes(svc)) continue;
      if (st === "running") {
        if (this.waitingFor(h) === null) h.dispatch({ kind: "depsReady" });
      } else {
        h.dispatch({ kind: "depFailed", reason: `dependency '${svc.name}' is ${svc.stateText}` });
      }
    }
  }
}
