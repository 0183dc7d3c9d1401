/**
 * cfkctl as a function: argv in, exit code out, everything printed through
 * Io. Every failure ends here as a CliError, so this is where exit codes
 * are decided; the entry (src/cfkctl.ts) only calls process.exit with it.
 */
import { parseAddress } from "../protocol/address.ts";
import { parseFast } from "./argv.ts";
import { execute } from "./commands.ts";
import { Connection } from "./connection.ts";
import { CliError, EXIT, say } from "./errors.ts";
import { DEFAULT_TIMEOUT_SECS, type Invocation } from "./grammar.ts";
import type { Io } from "./io.ts";

export type RunOptions = { io: Io; home: string };

/** The console token: the file's content, trimmed. */
async function readToken(file: string, io: Io): Promise<string> {
  try {
    const t = (await io.readFile(file.startsWith("/") ? file : `${io.cwd}/${file}`)).trim();
    if (t === "") throw new Error("the file is empty");
    return t;
  } catch (e) {
    throw new CliError("usage", say.cannotRead(file, (e as Error).message));
  }
}

export async function runCli(argv: readonly string[], { io, home }: RunOptions): Promise<number> {
  try {
    let inv: Invocation | null = parseFast(argv);
    if (inv === null) {
      // Only help, version and mistakes get here: commander costs ~12 ms to load.
      const { parseWithCommander } = await import("./program.ts");
      const r = parseWithCommander(argv, io);
      if (typeof r === "number") return r;
      inv = r;
    }
    const text = inv.address ?? (io.env.CFKD_ADDRESS || `unix:${home}/.controlfreak/sock`);
    const address = parseAddress(text, io.cwd);
    if (address.kind === "error") throw new CliError("usage", say.badAddress(address.message));
    const tokenFile = inv.authTokenFile ?? (io.env.CFKD_TOKEN_FILE || undefined);
    const token = tokenFile === undefined ? undefined : await readToken(tokenFile, io);
    const timeoutMs = (inv.timeout ?? DEFAULT_TIMEOUT_SECS) * 1000;
    return await execute(inv, { io, connect: () => Connection.open(address, token, timeoutMs) });
  } catch (e) {
    if (e instanceof CliError) {
      if (e.message) io.err(e.message);
      return e.exitCode;
    }
    io.err(say.internal((e as Error)?.stack ?? String(e)));
    return EXIT.daemon;
  }
}
