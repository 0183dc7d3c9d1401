/**
 * cfkd and cfkctl ship as one executable (two names for the same file):
 * which program runs is decided by the name it was started under.
 * Pure, so src/cfk.ts stays a few lines.
 */
export type Role = "cfkd" | "cfkctl";

/**
 * The role a command name (argv[0]) selects: its last path component
 * starts with `cfkctl` or `cfkd`, so renamed copies such as `cfkd-0.1.0`
 * or `cfkctl.old` keep working; anything else is null.
 */
export function roleOf(argv0: string): Role | null {
  const base = argv0.slice(argv0.lastIndexOf("/") + 1);
  if (base.startsWith("cfkctl")) return "cfkctl";
  if (base.startsWith("cfkd")) return "cfkd";
  return null;
}

/** What to say when started under another name (exit 2, a usage error). */
export function wrongName(argv0: string): string {
  return (
    `${argv0}: this executable is both cfkd and cfkctl and runs as the one it is named after;\n` +
    `start it as cfkd or cfkctl (a copy or a link by that name: ln ${argv0} cfkctl)\n`
  );
}
