/**
 * The commander program: the full definition of cfkctl's command line, its
 * help texts and its usage errors. Loaded only when the lean parser
 * (argv.ts) declines a command line, so that everyday commands do not pay
 * for loading commander.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { COMMANDS, parseBatch, parseLines, parseSeconds, parseTimeout, type CommandName, type Invocation } from "./grammar.ts";
import { MANUAL, EXAMPLES } from "./help.ts";
import { CliError, EXIT } from "./errors.ts";
import { VERSION } from "../version.ts";
import { propertiesText } from "../protocol/properties.ts";

export type Output = { out(text: string): void; err(text: string): void };

/**
 * Parse argv (without the program name). Returns the invocation, or an exit
 * code when commander has answered by itself (help, version: 0). Usage
 * errors, already printed, are thrown as a CliError with an empty message.
 */
export function parseWithCommander(argv: readonly string[], io: Output): Invocation | number {
  const h = argv.indexOf("help");
  if (h >= 0 && argv[h + 1] === "properties" && h + 2 === argv.length) {
    io.out(propertiesText()); // a topic, not a command: from the property table
    return EXIT.ok;
  }
  let result: Invocation | undefined;
  const strip = (s: string) => s.replace(/\n$/, "");
  const program = new Command("cfkctl")
    .description("Control a running cfkd: start, stop and inspect its services.")
    .usage("[options] <command> [svcref...]")
    .option("--address <addr>", "cfkd's management socket: unix:/path, /path, rel/path, host:port or [v6]:port (default: $CFKD_ADDRESS, else unix:$HOME/.controlfreak/sock)")
    .option("--auth-token-file <file>", "send the token in FILE ('auth TOKEN') before anything else, for a TCP console that requires it (default: $CFKD_TOKEN_FILE)")
    .option("--basedir <dir>", "what ${BASE} stands for in 'load' (default: the current directory)")
    .option("-y, --yes", "run without asking for confirmation (accepted for compatibility)")
    .option("--timeout <secs>", "give up (exit 3) when cfkd has not answered a request within SECS; 0 waits forever; never applies to tail -f (default: 10). For wait and --wait: how long to wait for the state (exit 1), default as long as it takes. For restart --rolling and reload: how long a replacement may take to be running (default 60)", (v: string) => {
      const n = parseTimeout(v);
      if (n === undefined) throw new InvalidArgumentError("expected a number of seconds");
      return n;
    })
    .option("--json", "print status, desc, pids, list, proxystatus, tail and events as JSON, for scripts")
    .option("-m, --man", "print the full manual")
    .version(VERSION, "--version", "print cfkctl's own version (the daemon's: cfkctl version)")
    .helpOption("-h, --help", "print this help")
    .helpCommand("help [command]", "help for a command; 'help properties' lists every service, socket and proxy property")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.out(strip(s)),
      writeErr: (s) => io.err(strip(s)),
      outputError: (s, write) => write(`cfkctl: ${s.replace(/^error: /, "").trim()} (see cfkctl --help)\n`),
    })
    .addHelpText("after", EXAMPLES);
  program.on("option:man", () => {
    io.out(MANUAL);
    throw new CommanderError(0, "cfkctl.man", "");
  });

  for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, (typeof COMMANDS)[CommandName]][]) {
    const c = program.command(name).description(spec.summary);
    switch (spec.arity) {
      case "none":
        break;
      case "refs":
        c.argument("[svcref...]", "a service name, @tag, or all (default: all)");
        break;
      case "refs1":
        c.argument("<svcref...>", "a service name, @tag, or all");
        break;
      case "one":
        c.argument(`<${"argName" in spec ? spec.argName : "arg"}>`);
        break;
      case "opt1":
        c.argument(`[${"argName" in spec ? spec.argName : "arg"}]`);
        break;
    }
    if ("tailOptions" in spec) {
      const linesHelp = "linesHelp" in spec ? spec.linesHelp : "how many recent lines per service (default 10)";
      c.option("-n, --lines <n>", linesHelp, (v: string) => {
        const n = parseLines(v);
        if (n === undefined) throw new InvalidArgumentError("expected a whole number of lines");
        return n;
      });
      c.option("-f, --follow", "keep printing new ones until Ctrl-C");
    }
    // the wait's limit is the global --timeout (none: as long as it takes)
    if ("waitOptions" in spec) c.option("--wait", "return once every service is running; exit 1 naming any that fails (--timeout: give up after SECS)");
    if ("stateOptions" in spec) {
      c.option("--state <state>", "the state to wait for: running (default) or stopped", (v: string) => {
        if (v !== "running" && v !== "stopped") throw new InvalidArgumentError("expected running or stopped");
        return v;
      });
    }
    if ("dependentsOption" in spec) c.option("--with-dependents", "also stop the services that come after them (after=), first");
    if ("longOption" in spec) c.option("-l, --long", "the long form: pid, uptime, restarts, cmd, tags, memory and CPU of each service's processes");
    if ("rollOptions" in spec) {
      const parse = (f: (v: string) => number | undefined, what: string) => (v: string) => {
        const n = f(v);
        if (n === undefined) throw new InvalidArgumentError(what);
        return n;
      };
      if (spec.rollOptions === "restart") {
        c.option("--rolling", "one batch at a time: stop, start, wait until running, then the next (runs in cfkd)");
        c.option("--batch <n>", "with --rolling: how many services at a time (default 1)", parse(parseBatch, "expected a whole number, 1 or more"));
        c.option("--pause <secs>", "with --rolling: wait SECS between batches (default 0)", parse(parseSeconds, "expected a number of seconds"));
      }
      // the roll's limit is the global --timeout: how long a replacement may take to be running (default 60)
    }
    c.action(() => {
      const g = program.opts<{ address?: string; basedir?: string; json?: boolean; authTokenFile?: string; timeout?: number }>();
      const o = c.opts<{ lines?: number; follow?: boolean; long?: boolean; wait?: boolean; state?: "running" | "stopped"; withDependents?: boolean; rolling?: boolean; batch?: number; pause?: number }>();
      const inv: Invocation = { command: name, args: c.args.slice(), json: g.json === true, follow: o.follow === true };
      if (g.address !== undefined) inv.address = g.address;
      if (g.basedir !== undefined) inv.basedir = g.basedir;
      if (g.authTokenFile !== undefined) inv.authTokenFile = g.authTokenFile;
      if (o.lines !== undefined) inv.lines = o.lines;
      if (o.long === true) inv.long = true;
      if (g.timeout !== undefined) inv.timeout = g.timeout;
      if (o.wait) inv.wait = true;
      if (o.state !== undefined) inv.state = o.state;
      if (o.withDependents) inv.withDependents = true;
      if (o.rolling) inv.rolling = true;
      if (o.batch !== undefined) inv.batch = o.batch;
      if (o.pause !== undefined) inv.pause = o.pause;
      result = inv;
    });
  }

  try {
    program.parse(argv as string[], { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return EXIT.ok;
    throw new CliError("usage", "");
  }
  if (result === undefined) throw new CliError("usage", "");
  return result;
}
