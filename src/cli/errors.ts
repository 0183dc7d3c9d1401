/**
 * The client's one error type and every text it prints about failures, so
 * that wording and exit codes (SPEC §9) cannot drift between commands.
 */

/** The original cfkd's words when a selector matches no service (SPEC §3.5). */
const NO_VALID_SERVICE = "Couldn't find a valid service. bailing.";

/** SPEC §9 exit codes. */
export const EXIT = { ok: 0, daemon: 1, usage: 2, unreachable: 3 } as const;

export type CliErrorCode = keyof typeof EXIT;

/**
 * A failure that ends the command. `message` is the whole stderr line
 * (empty when it has been printed already, as commander does for usage).
 */
export class CliError extends Error {
  constructor(
    readonly code: Exclude<CliErrorCode, "ok">,
    message: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT[this.code];
  }
}

/** The texts, in one place. */
export const say = {
  /** the daemon answered `ERROR: <msg>` (the original client's wording) */
  daemonError: (m: string) => `error: ${m}`,
  /**
   * The daemon refused a request about one selector: the original's
   * `Couldn't find a valid service. bailing.` becomes which reference
   * matched nothing; anything else is said as the daemon said it.
   */
  selectorError: (sel: string, m: string) => {
    if (m !== NO_VALID_SERVICE) return `error: ${m}`;
    const ref = sel.startsWith("service ") ? sel.slice(8) : sel.startsWith("tag ") ? `@${sel.slice(4)}` : sel;
    return `error: no service matches '${ref}'`;
  },
  unreachable: (address: string, reason: string) =>
    `cfkctl: cannot reach the daemon (${reason}): is cfkd running? tried ${address}; start it with "cfkd -d"`,
  timedOut: (address: string, secs: number) =>
    `cfkctl: cfkd at ${address} did not answer within ${secs} s (is it overloaded or stuck? --timeout SECS waits longer, 0 forever)`,
  connectionLost: (address: string) => `cfkctl: the connection to cfkd at ${address} closed before it answered`,
  usage: (m: string) => `cfkctl: ${m} (see cfkctl --help)`,
  badAddress: (m: string) => `cfkctl: ${m}`,
  cannotRead: (file: string, reason: string) => `cfkctl: cannot read ${file}: ${reason}`,
  cannotWrite: (file: string, reason: string) => `cfkctl: cannot write ${file}: ${reason}`,
  /** `load` stopped at a statement the daemon refused */
  loadError: (file: string, line: number, m: string) => `${file}:${line}: ${m}`,
  internal: (m: string) => `cfkctl: internal error: ${m}`,
  /** start/restart/up: the service could not be spawned (reason from its status) */
  cannotStart: (name: string, reason: string) => `error: cannot start ${name}: ${reason}`,
  /** Ctrl-C during restart --rolling or reload */
  rollGoesOn: () => "cfkctl: interrupted; the roll goes on in cfkd (see 'cfkctl rolls'; stop it with 'cfkctl roll-cancel ID')",
} as const;

export const usageError = (m: string) => new CliError("usage", say.usage(m));
export const daemonError = (m: string) => new CliError("daemon", say.daemonError(m));

/** A short reason for a failed connect, from the OS error code. */
export function connectReason(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "no socket there";
    case "ECONNREFUSED":
      return "connection refused";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTSOCK":
      return "not a socket";
    case "ETIMEDOUT":
      return "timed out";
    default:
      return code ?? ((e as Error)?.message || "unknown error");
  }
}
