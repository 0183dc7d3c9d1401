/**
 * Proxy properties (SPEC §3.4): `cmd`, `desc`, `add_env`, `env` with the
 * services' rules, and `noauto`. Pure: a bad value is reported, never thrown.
 */
import { parseBool } from "../../protocol/values.ts";
import { commonSetters, propertySetter, type CommonProps } from "../service/props.ts";

export type ProxyProps = CommonProps & {
  /** started with `command proxyup` only (default: auto) */
  noauto: boolean;
};

export function defaultProxyProps(): ProxyProps {
  return { cmd: null, desc: "", noauto: false, env: {} };
}

/** Set one proxy property; `value` null means unset. */
export const setProxyProp = propertySetter<ProxyProps>(
  {
    ...commonSetters,
    noauto: (p, v) => {
      const b = parseBool(v);
      if (b === undefined) return false;
      p.noauto = b;
      return true;
    },
  },
  defaultProxyProps,
);
