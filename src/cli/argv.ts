/**
 * The lean command-line parser: the common, well-formed command lines only.
 * Loading commander costs a compiled cfkctl about 12 ms (its Node built-in
 * imports), more than the whole budget of `cfkctl status` (SPEC: ≤ 10 ms for
 * 200 services). So this parser handles what operators type every day and
 * returns null for anything else — help, version, unknown words, unusual
 * option spellings, wrong arity — which then goes to the commander program
 * (program.ts), the full definition of the CLI, for help texts and usage
 * errors. It may decline; it must never disagree with commander
 * (test/cli/argv.test.ts checks both on a table of command lines).
 */
import { COMMANDS, isCommandName, parseLines, parseTimeout, type Arity, type CommandName, type Invocation } from "./grammar.ts";

/** Parse argv (without the program name); null means "ask commander". */
export function parseFast(argv: readonly string[]): Invocation | null {
  let command: CommandName | undefined;
  const args: string[] = [];
  let address: string | undefined;
  let basedir: string | undefined;
  let authTokenFile: string | undefined;
  let json = false;
  let lines: number | undefined;
  let follow = false;
  let long = false;
  let timeout: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    const next = argv[i + 1];
    const value = next !== undefined && next !== "" && !next.startsWith("-") ? next : undefined;
    const eq = tok.indexOf("=");
    const name = tok.startsWith("--") && eq > 0 ? tok.slice(0, eq) : tok;
    if (name === "--address" || name === "--basedir" || name === "--auth-token-file") {
      const v = eq > 0 && name !== tok ? tok.slice(eq + 1) : value;
      if (v === undefined || v === "") return null;
      if (name === "--address") address = v;
      else if (name === "--basedir") basedir = v;
      else authTokenFile = v;
      if (name === tok) i++;
    } else if (name === "--timeout") {
      const v = eq > 0 && name !== tok ? tok.slice(eq + 1) : value;
      const n = v === undefined ? undefined : parseTimeout(v);
      if (n === undefined) return null;
      timeout = n;
      if (name === tok) i++;
    } else if (tok === "--json") {
      json = true;
    } else if (tok === "-y" || tok === "--yes") {
      // accepted for compatibility; nothing asks for confirmation
    } else if (takesTailOptions(command) && (tok === "-n" || tok === "--lines")) {
      const n = value === undefined ? undefined : parseLines(value);
      if (n === undefined) return null;
      lines = n;
      i++;
    } else if (takesTailOptions(command) && (tok === "-f" || tok === "--follow")) {
      follow = true;
    } else if (command === "status" && (tok === "-l" || tok === "--long")) {
      long = true;
    } else if (tok.startsWith("-") && tok !== "-") {
      return null;
    } else if (command === undefined) {
      if (!isCommandName(tok)) return null;
      command = tok;
    } else {
      args.push(tok);
    }
  }
  if (command === undefined || !arityFits(COMMANDS[command].arity, args.length)) return null;
  const inv: Invocation = { command, args, json, follow };
  if (address !== undefined) inv.address = address;
  if (basedir !== undefined) inv.basedir = basedir;
  if (authTokenFile !== undefined) inv.authTokenFile = authTokenFile;
  if (lines !== undefined) inv.lines = lines;
  if (long) inv.long = true;
  if (timeout !== undefined) inv.timeout = timeout;
  return inv;
}

function takesTailOptions(command: CommandName | undefined): boolean {
  return command !== undefined && "tailOptions" in COMMANDS[command];
}

export function arityFits(arity: Arity, n: number): boolean {
  switch (arity) {
    case "none":
      return n === 0;
    case "refs":
      return true;
    case "refs1":
      return n >= 1;
    case "one":
      return n === 1;
    case "opt1":
      return n <= 1;
  }
}
