/**
 * THIRD-PARTY-NOTICES, shipped in every release archive: the executables
 * contain the Bun runtime and the npm packages bundled in, and those
 * licences ask for their notices to travel with every copy.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Package = { name: string; version: string; license: string; text: string };

/** A bundled package's name, version, licence and licence text, from its directory. */
export function readPackage(dir: string): Package {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string; license?: string };
  const file = readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
  if (file === undefined) throw new Error(`${dir}: no licence file; a release must not ship ${pkg.name} without its notice`);
  return { name: pkg.name, version: pkg.version, license: pkg.license ?? "see below", text: readFileSync(join(dir, file), "utf8").trim() };
}

/** The notices file: Bun first, then each bundled package with its licence text. */
export function thirdPartyNotices(bunVersion: string, packages: readonly Package[]): string {
  const rule = "-".repeat(72);
  const parts = [
    `Third-party software in cfkd and cfkctl

The executables are built with \`bun build --compile\` and so contain:

${rule}
Bun ${bunVersion} (https://bun.com), the JavaScript runtime - MIT License
${rule}
Bun statically links JavaScriptCore and WebKit's WebCore (LGPL-2.0) and other
libraries under their own licences. Their list, their licence texts, and how
to rebuild Bun with a modified JavaScriptCore and relink it:
  https://bun.com/docs/project/license
Source: https://github.com/oven-sh/bun/tree/bun-v${bunVersion}
        and https://github.com/oven-sh/WebKit`,
  ];
  for (const p of packages) parts.push(`${rule}\n${p.name} ${p.version} - ${p.license}\n${rule}\n${p.text}`);
  return `${parts.join("\n\n")}\n`;
}
