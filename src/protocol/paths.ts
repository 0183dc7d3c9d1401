/**
 * POSIX path resolution without node:path: loading node:path costs cfkctl
 * ~3 ms of its ~13 ms start-up, for one call. Same results as
 * `path.posix.resolve(cwd, p)` for an absolute `cwd` (test/protocol/paths.test.ts).
 */

/** `p` made absolute against `cwd` (absolute), `.`, `..` and repeated slashes resolved. */
export function resolvePath(cwd: string, p: string): string {
  const parts: string[] = [];
  for (const seg of (p.startsWith("/") ? p : `${cwd}/${p}`).split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join("/")}`;
}
