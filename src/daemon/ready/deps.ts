/**
 * Start order (`after=`): who a service waits for, and the cycle check made
 * when a declaration would close one. Pure: works on a view of the registry.
 */

/** What the dependency rules need to know of a service. */
export type DepNode = { readonly name: string; readonly tags: readonly string[]; readonly after: readonly string[] };

/** The names `refs` (names, `@tags`) stand for among `nodes`, without `self`, sorted. */
export function resolveRefs(refs: readonly string[], nodes: Iterable<DepNode>, self: string): string[] {
  if (refs.length === 0) return [];
  const out = new Set<string>();
  const all = [...nodes];
  for (const r of refs) {
    if (r.startsWith("@")) {
      const tag = r.slice(1);
      for (const n of all) if (n.tags.includes(tag)) out.add(n.name);
    } else if (all.some((n) => n.name === r)) out.add(r);
  }
  out.delete(self);
  return [...out].sort();
}

/**
 * A cycle in the `after` graph, as the names along it (`a → b → a`), or
 * null. A name in `after` that is not declared yet is no edge (yet): it is
 * checked again when that service or a tag is declared.
 */
export function findCycle(nodes: readonly DepNode[]): string[] | null {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const edges = (n: DepNode) => resolveRefs(n.after, nodes, n.name).filter((d) => byName.has(d));
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "open") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "open");
    path.push(name);
    for (const d of edges(byName.get(name)!)) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const n of nodes) {
    if (n.after.length === 0) continue;
    const c = visit(n.name);
    if (c) return c;
  }
  return null;
}
