/**
 * Reads a Log4perl properties file the way Log4perl's PropertyConfigurator
 * does: `#`, `;` and `!` start a comment line, a trailing `\` continues a
 * line, `key = value` with the value's trailing blanks removed, `${name}`
 * replaced by an earlier key's value or else the environment, a key defined
 * twice is an error. Stricter than Log4perl in one way: a line that is not a
 * comment and not `key = value` is an error (Log4perl skipped it silently).
 * Pure: never throws; errors carry the 1-based line number.
 */

export type Property = { key: string; value: string; line: number };
export type ConfigError = { line: number; message: string };
export type Parsed<T> = { ok: true; value: T } | ({ ok: false } & ConfigError);

const COMMENT = /^\s*[#;!]/;

export function parseProperties(text: string, env: Record<string, string | undefined>): Parsed<Property[]> {
  const raw = text.split(/\r?\n/);
  const vars = new Map<string, string>();
  const out: Property[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < raw.length; i++) {
    const line = i + 1;
    let s = raw[i]!;
    if (COMMENT.test(s) || !/\S/.test(s)) continue;
    while (/\\\s*$/.test(s) && i + 1 < raw.length) {
      let next = raw[++i]!.replace(/^ +/, "");
      if (COMMENT.test(next)) next = "";
      s = s.replace(/\\\s*$/, "") + next;
    }
    const m = /^\s*([^\s=]+)\s*=\s*(.*?)\s*$/s.exec(s);
    if (!m) return fail(line, `cannot understand '${s.trim()}': expected key = value`);
    const key = m[1]!;
    vars.set(key.replace(/\s+/g, ""), m[2]!);
    let undef: string | null = null;
    const value = m[2]!.replace(/\$\{(.*?)\}/g, (_all, name: string) => {
      const n = name.replace(/\s+/g, "");
      const v = vars.get(n) ?? env[n];
      if (v === undefined) undef ??= n;
      return v ?? "";
    });
    if (undef !== null) return fail(line, `undefined variable '${undef}' (neither an earlier key nor an environment variable)`);
    const prev = seen.get(key);
    if (prev !== undefined) return fail(line, `${key} redefined (first defined on line ${prev})`);
    seen.set(key, line);
    out.push({ key, value, line });
  }
  return { ok: true, value: out };
}

export function fail<T>(line: number, message: string): Parsed<T> {
  return { ok: false, line, message };
}
