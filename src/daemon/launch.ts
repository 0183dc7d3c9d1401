/**
 * From a service's properties to a spawn request (SPEC §3.2): environment,
 * working directory, user and group, umask, stdio. Returns the reason as a
 * string when the service cannot be launched as declared.
 */
import { readFileSync, statSync } from "node:fs";
import { parseEnvFile } from "./service/envfile.ts";
import type { SpawnRequest, Spawner } from "./os/spawner.ts";
import type { Service } from "./service/service.ts";
import { lookupGroup, lookupUser, supplementaryGroups, type User } from "./os/users.ts";
import type { ProxyProps } from "./proxy/props.ts";
import { FIRST_SOCKET_FD, pipeEnv } from "./proxy/protocol.ts";
import { LISTEN_VARS, type Sockets } from "./sockets.ts";
import { msg } from "../protocol/messages.ts";

export type LaunchContext = {
  /** cfkd's own environment, plus CFKD_HOME */
  baseEnv: Record<string, string>;
  defaultCwd: string;
  /** program name + PATH → absolute path (see resolveProgram) */
  programs: Map<string, string>;
  /** shared listening sockets (`tie_stdin_to`, `listen_fds`; every bound one for proxies) */
  sockets?: Pick<Sockets, "forService" | "forProxy" | "acquire">;
};

/**
 * Find a bare program name in PATH once, not at every spawn: the lookup
 * costs as much as a third of the spawn itself. The entry is dropped when
 * a spawn fails (forgetProgram), so a program that moved is found again.
 */
export function resolveProgram(ctx: LaunchContext, argv: string[], path: string | undefined): string[] {
  const name = argv[0]!;
  if (name.includes("/")) return argv;
  const key = `${name}\0${path ?? ""}`;
  let full = ctx.programs.get(key);
  if (full === undefined) {
    full = Bun.which(name, { PATH: path ?? "" }) ?? undefined;
    if (full === undefined) return argv; // let the spawn report the OS error
    ctx.programs.set(key, full);
  }
  return [full, ...argv.slice(1)];
}

export function forgetPrograms(ctx: LaunchContext): void {
  ctx.programs.clear();
}

/** The spawner, dropping the program cache when a spawn fails (a program may have moved: look it up again next time). */
export function refindingPrograms(ctx: LaunchContext, spawner: Spawner): Spawner {
  return (req, onExit) => {
    try {
      return spawner(req, onExit);
    } catch (e) {
      forgetPrograms(ctx);
      throw e;
    }
  };
}

export function prepareLaunch(ctx: LaunchContext, svc: Service, argv: string[]): SpawnRequest | string {
  const p = svc.props;
  const fromFile = p.env_file === null ? {} : readEnvFile(p.env_file);
  if (typeof fromFile === "string") return fromFile;
  const env: Record<string, string> = { ...ctx.baseEnv, ...fromFile, ...p.env, CONTROL_FREAK_ENABLED: "1", CONTROL_FREAK_SERVICE: svc.name };
  const cwd = p.cwd ?? ctx.defaultCwd;
  try {
    if (!statSync(cwd).isDirectory()) return `cwd ${cwd}: not a directory`;
  } catch (e) {
    return `cwd ${cwd}: ${(e as { code?: string }).code === "ENOENT" ? "no such directory" : (e as Error).message}`;
  }
  const ids = resolveIds(p.user, p.group);
  if (typeof ids === "string") return ids;
  // the target user's own HOME, USER and LOGNAME (login(1) does the same), unless env/add_env/env_file say otherwise
  if (ids.user?.name !== undefined) {
    const who: Record<string, string | undefined> = { HOME: ids.user.home, USER: ids.user.name, LOGNAME: ids.user.name };
    const declared = (k: string) => Object.hasOwn(p.env, k) || Object.hasOwn(fromFile, k);
    for (const [k, v] of Object.entries(who)) if (v !== undefined && v !== "" && !declared(k)) env[k] = v;
  }
  // cfkd's own socket-activation variables are not the service's
  for (const k of LISTEN_VARS) if (!Object.hasOwn(p.env, k)) delete env[k];
  const socks = ctx.sockets?.forService(svc.name, p.tie_stdin_to, p.listen_fds) ?? { extraFds: [], env: {}, listenPid: false };
  if (typeof socks === "string") return socks;
  Object.assign(env, socks.env);
  return {
    argv: resolveProgram(ctx, argv, env.PATH),
    env,
    cwd,
    newSession: !p.no_new_session,
    uid: ids.uid,
    gid: ids.gid,
    groups: ids.groups,
    umask: p.umask ?? undefined,
    priority: p.priority ?? undefined,
    stdin: socks.stdin ?? "ignore",
    stdout: p.ignore_stdout ? "ignore" : "pipe",
    stderr: p.ignore_stderr ? "ignore" : "pipe",
    extraFds: socks.extraFds,
    listenPid: socks.listenPid,
  };
}

/** `env_file`, read now (each start); a string is why the start fails. */
function readEnvFile(path: string): Record<string, string> | string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    return `env_file ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`;
  }
  const r = parseEnvFile(text);
  return typeof r === "string" ? `env_file ${path}: ${r}` : r;
}

type Ids = { uid?: number; gid?: number; groups?: number[]; user?: User };

function resolveIds(user: string | null, group: string | null): Ids | string {
  if (user === null && group === null) return {};
  const me = process.getuid?.() ?? 0;
  const out: Ids = {};
  if (user !== null) {
    const u = lookupUser(user);
    if (!u) return `unknown user '${user}'`;
    out.uid = u.uid;
    out.gid = u.gid;
    out.user = u;
  }
  if (group !== null) {
    const g = lookupGroup(group);
    if (g === undefined) return `unknown group '${group}'`;
    out.gid = g;
  }
  // initgroups semantics: the user's supplementary groups, around the primary group (group= when set)
  if (out.user && me === 0) out.groups = supplementaryGroups(out.user.name, out.gid!);
  const mine = (out.uid === undefined || out.uid === me) && (out.gid === undefined || out.gid === process.getgid?.());
  if (me !== 0 && !mine) return `user/group need cfkd to run as root (it runs as uid ${me})`;
  return out;
}

/**
 * A proxy's spawn request (SPEC §7): cfkd's environment plus the proxy's
 * additions, the three pipes announced in `_CFK_*_FD`, every bound socket
 * after them as `_CFK_SOCK_<name>`, stdout/stderr captured as the proxy's
 * own log. The sockets its services tie their stdin to are bound first
 * when they are not yet: the proxy only ever has what it was started with.
 */
export function prepareProxyLaunch(ctx: LaunchContext, name: string, p: ProxyProps, argv: string[], needs: readonly string[]): SpawnRequest | string {
  for (const sock of needs) {
    const r = ctx.sockets?.acquire(sock, `proxy ${name}`) ?? msg.unknownSocket(sock);
    if (typeof r === "string") return r;
  }
  const socks = ctx.sockets?.forProxy(FIRST_SOCKET_FD) ?? { fds: [], env: {} };
  const env: Record<string, string> = { ...ctx.baseEnv, ...p.env, ...pipeEnv(), ...socks.env };
  return {
    argv: resolveProgram(ctx, argv, env.PATH),
    env,
    cwd: ctx.defaultCwd,
    newSession: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    channels: 3,
    extraFds: socks.fds,
  };
}
