/**
 * cfkd, the supervisor daemon: command line, signals and exit codes.
 * Everything else lives in daemon/.
 */
import { Command, Option } from "commander";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { startDaemon } from "./daemon/daemon.ts";
import { StartError } from "./daemon/os/home.ts";
import { parseAddress } from "./protocol/address.ts";
import { VERSION } from "./version.ts";

const program = new Command("cfkd")
  .description("ControlFreak supervisor daemon: starts, watches and restarts your services")
  .option("--home <dir>", "home directory (socket, lock, logs)", join(homedir(), ".controlfreak"))
  .option("-a, --address <addr>", "management socket: unix:/path, /path, rel/path, host:port, [v6]:port (default unix:HOME/sock)")
  .option("-l, --log-config-file <file>", "logging configuration (default HOME/log.config)")
  .option("-c, --config <file>", "load this file of statements at start-up, before accepting clients")
  .option("-d, --daemon", "detach into the background")
  .option("-t, --trap", "with -d: ignore SIGHUP, SIGINT and SIGTERM")
  .addOption(new Option("-m, --man", "print the full manual"))
  .version(VERSION, "--version", "print the version")
  .helpOption("-h, --help", "print this help")
  .addHelpText(
    "after",
    `
Examples:
  cfkd                                 run in the foreground, socket in ~/.controlfreak/sock
  cfkd --home /srv/cfk -c /srv/cfk/services.conf
  cfkd -a 127.0.0.1:7000               TCP console on loopback

Signals: TERM, INT, HUP stop every service and exit 0; USR1 reloads the log config.`,
  );

async function main(): Promise<number> {
  program.parse(process.argv);
  const o = program.opts<{ home: string; address?: string; config?: string; logConfigFile?: string; daemon?: boolean; trap?: boolean; man?: boolean }>();
  if (o.man) {
    program.outputHelp();
    return 0;
  }
  const home = resolve(o.home);
  const address = parseAddress(o.address ?? `unix:${join(home, "sock")}`);
  if (address.kind === "error") {
    process.stderr.write(`cfkd: ${address.message}\n`);
    return 2;
  }
  if (o.daemon) {
    process.stderr.write("cfkd: -d is not available yet\n");
    return 2;
  }
  // USR1 kills a process that does not handle it: catch it from the start
  let reloadLog = () => {};
  process.on("SIGUSR1", () => reloadLog());
  let daemon;
  try {
    daemon = await startDaemon({ home, address, configFile: o.config && resolve(o.config), logConfigFile: o.logConfigFile && resolve(o.logConfigFile) });
  } catch (e) {
    if (e instanceof StartError) {
      process.stderr.write(`cfkd: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = daemon.log;
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(sig, () => {
      log.event("info", `received ${sig}`);
      void daemon.shutdown();
    });
  }
  reloadLog = () => void daemon.reloadLog();
  process.on("uncaughtException", (e) => log.event("error", `uncaught exception: ${e?.stack ?? e}`));
  process.on("unhandledRejection", (e) => log.event("error", `unhandled rejection: ${(e as Error)?.stack ?? e}`));
  await daemon.done;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`cfkd: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
