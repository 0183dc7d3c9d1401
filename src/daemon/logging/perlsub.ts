/**
 * Old ControlFreak configs name the log file with Perl code, as in
 * `sub { $ENV{CFKD_HOME} . "/cfkd.log" }`. We run no Perl: we understand
 * the expressions such configs use — `$ENV{NAME}` and quoted strings (with
 * `$ENV{NAME}` interpolated inside double quotes) joined with `.`, an
 * optional `return` and `;` — and reject anything else with a clear message.
 */

type Env = Record<string, string | undefined>;

const TERM = /^\s*(?:\$ENV\{\s*(?:'([^']*)'|"([^"]*)"|(\w+))\s*\}|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*/s;

/** The file name the sub would return, or the reason we cannot tell. */
export function evalPerlFilename(code: string, env: Env): string | { error: string } {
  const m = /^sub\s*\{(.*)\}\s*;?\s*$/s.exec(code.trim());
  if (!m) return unsupported(code);
  let rest = m[1]!.trim().replace(/^return\s+/, "").replace(/;\s*$/, "");
  let out = "";
  for (;;) {
    const t = TERM.exec(rest);
    if (!t) return unsupported(code);
    const envName = t[1] ?? t[2] ?? t[3];
    if (envName !== undefined) {
      const v = env[envName];
      if (v === undefined) return { error: `environment variable ${envName} is not set (in ${code.trim()})` };
      out += v;
    } else if (t[4] !== undefined) {
      const s = interpolate(t[4], env);
      if (typeof s !== "string") return s;
      out += s;
    } else {
      out += t[5]!.replace(/\\([\\'])/g, "$1");
    }
    rest = rest.slice(t[0].length);
    if (rest === "") return out;
    if (rest[0] !== ".") return unsupported(code);
    rest = rest.slice(1);
  }
}

function interpolate(s: string, env: Env): string | { error: string } {
  let missing: string | null = null;
  const r = s
    .replace(/\$ENV\{\s*['"]?(\w+)['"]?\s*\}/g, (_a, n: string) => {
      const v = env[n];
      if (v === undefined) missing ??= n;
      return v ?? "";
    })
    .replace(/\\(.)/g, (_a, c: string) => ({ n: "\n", t: "\t" })[c] ?? c);
  if (missing !== null) return { error: `environment variable ${missing} is not set` };
  if (/[$@]/.test(r)) return { error: `cannot interpolate Perl variables other than $ENV{...} in "${s}"` };
  return r;
}

function unsupported(code: string): { error: string } {
  return { error: `cannot run Perl code '${code.trim()}': only $ENV{NAME} and quoted strings joined with '.' are understood (or use \${CFKD_HOME})` };
}
