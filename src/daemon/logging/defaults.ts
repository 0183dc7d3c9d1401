/**
 * The default log config (SPEC §8), written to `$home/log.config` with mode
 * 0600 when the daemon starts and there is none.
 */
import { closeSync, fchmodSync, openSync, writeSync } from "node:fs";

export const DEFAULT_LOG_CONFIG = `log4perl.rootLogger=INFO, ALL
log4perl.appender.ALL=Log::Log4perl::Appender::File
log4perl.appender.ALL.filename=\${CFKD_HOME}/cfkd.log
log4perl.appender.ALL.mode=append
log4perl.appender.ALL.layout=PatternLayout
log4perl.appender.ALL.layout.ConversionPattern=%S %p %L %c - %m%n
`;

/** Create the file with the default content unless it exists; true if created. */
export function writeDefaultConfig(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") return false;
    throw e;
  }
  try {
    fchmodSync(fd, 0o600); // whatever the umask: the config can name any file
    writeSync(fd, DEFAULT_LOG_CONFIG);
  } finally {
    closeSync(fd);
  }
  return true;
}
