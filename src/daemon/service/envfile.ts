/**
 * [ext] `env_file=PATH`: KEY=VALUE lines read at each start of the service
 * (so a changed file applies from the next start, like a changed property).
 * Blank lines and lines starting with `#` are skipped; `export ` before a
 * key is allowed; a value wrapped in matching single or double quotes loses
 * them (nothing else is interpreted: no `$VAR`, no escapes). Pure.
 */

/** The variables of an env file's text, or the reason it is not one (`LINE: why`). */
export function parseEnvFile(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(t);
    if (!m) return `line ${i + 1}: expected KEY=VALUE`;
    let v = m[2]!.trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0]!)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}
