/**
 * Every error text the daemon puts on the wire, in one place so that the
 * wording cannot drift between the parser, the controller and the tests.
 * The texts marked "original" are ControlFreak 1.0's, byte for byte.
 */
export const msg = {
  voidCommand: () => "command is void", // original
  unknownCommand: (word: string) => `unknown command '${word}'`, // original
  emptyDeclaration: (kind: string) => `empty ${kind} command`, // original
  malformedDeclaration: (kind: string, rest: string) => `malformed ${kind} command '${rest}'`, // original
  invalidName: (kind: string) => `${kind} name is invalid`, // original
  invalidProperty: (prop: string) => `invalid property '${prop}'`, // original
  invalidValue: () => "invalid value", // original
  /** a property the original did not have: say which, and what it takes */
  invalidValueFor: (prop: string, value: string, expected: string) => `${prop}: invalid value '${value}' (expected ${expected})`,
  emptyCommand: () => "empty command", // original
  serviceSelectorArity: () => "service selector takes exactly 1 argument: name", // original
  tagSelectorArity: () => "tag selector takes exactly 1 argument: tag",
  allSelectorArity: () => "all selector takes no argument",
  missingSelector: () => "missing selector: use 'service NAME', 'tag TAG' or 'all'",
  unknownSelector: (sel: string) => `unknown selector '${sel}'`, // original
  noValidService: () => "Couldn't find a valid service. bailing.", // original
  noValidProxy: () => "Couldn't find a valid proxy. bailing.", // original
  unknownService: (name: string) => `unknown service '${name}'`,
  unknownSocket: (name: string) => `unknown socket '${name}'`, // original
  socketAlreadyBound: (name: string) => `'${name}' socket is already bound`, // original (a log line there)
  socketNotBound: (name: string) => `'${name}' socket is not bound`,
  socketArity: (cmd: string) => `${cmd} takes exactly 1 argument: socket name`,
  cannotBind: (name: string, where: string, reason: string) => `cannot bind '${name}' (${where}): ${reason}`,
  alreadyUp: (name: string) => `Service '${name}' is already up`, // original
  alreadyDown: (name: string) => `Service '${name}' is already down`, // original
  noCommand: (name: string) => `Service '${name}' has no known command`, // original
  lineTooLong: () => "line too long",
  tooManyConnections: (limit: number) => `too many connections (limit ${limit})`,
  notAuthorized: () => "not authorized", // original
  tooManyArguments: (cmd: string) => `too many arguments for '${cmd}'`,
  shuttingDown: () => "cfkd is shutting down",
  proxyNoCommand: (proxy: string) => `Proxy '${proxy}' can't run: no command`, // original
  socketNotInProxy: (socket: string, proxy: string) => `socket '${socket}' was not bound when proxy '${proxy}' started: restart the proxy`,
  proxyNotRunning: (service: string) => `Proxy is not running, not starting service '${service}'`, // original
  /** a service's fail_reason when its proxy went away */
  proxyStopped: () => "proxy stopped", // original
  tailUsage: () => "usage: tail [service NAME | tag TAG | all]... [-n LINES] [-f]",
  eventsUsage: () => "usage: events [service NAME | tag TAG | all]... [-n EVENTS] [-f]",
} as const;
