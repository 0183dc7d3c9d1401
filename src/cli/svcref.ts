/**
 * Service references (SPEC §6, §9): `NAME` → `service NAME`, `@TAG` →
 * `tag TAG`, `all` → `all`. One wire selector per reference, as the
 * original client sends one request per reference; `all` anywhere makes
 * the others pointless.
 */
import { usageError } from "./errors.ts";

/** The wire selectors for some references; none means all. */
export function selectors(refs: readonly string[]): string[] {
  if (refs.length === 0 || refs.includes("all")) return ["all"];
  return refs.map((ref) => {
    // A space would split the selector, a '#' would start a comment on the wire.
    if (ref === "" || ref === "@" || /[\s#]/.test(ref)) {
      throw usageError(`invalid service reference '${ref}': expected a name, @tag or all`);
    }
    return ref.startsWith("@") ? `tag ${ref.slice(1)}` : `service ${ref}`;
  });
}
