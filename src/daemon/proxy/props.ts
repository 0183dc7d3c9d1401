/**
 * Proxy properties (SPEC §3.4): `cmd`, `desc`, `add_env`, `env` with the
 * services' rules, and `noauto`. Pure: a bad value is reported, never thrown.
 */
import { parseBool } from "../../protocol/values.ts";
import { applyProp, parsed, type SetResult } from "../props-table.ts";
import { commonSetters, envField, type CommonProps } from "../service/props.ts";

export type ProxyProps = CommonProps & {
  /** started with `command proxyup` only (default: auto) */
  noauto: boolean;
};

export function defaultProxyProps(): ProxyProps {
  return { cmd: null, desc: "", noauto: false, env: {} };
}

const setters = {
  ...commonSetters,
  noauto: parsed<ProxyProps, "noauto">("noauto", parseBool),
};

/** Names of every proxy property (the docs' table must list each). */
export const PROXY_PROPERTY_NAMES = Object.keys(setters);

/** Set one proxy property; `value` null means unset (back to the default). */
export function setProxyProp(p: ProxyProps, prop: string, value: string | null): SetResult {
  return applyProp<ProxyProps>(setters, defaultProxyProps, p, prop, value, envField);
}
