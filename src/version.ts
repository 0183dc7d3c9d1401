/** The product version; the build embeds the release version and commit. */
import pkg from "../package.json" with { type: "json" };

declare const CFK_BUILD_VERSION: string | undefined;

export const VERSION: string = typeof CFK_BUILD_VERSION === "string" ? CFK_BUILD_VERSION : pkg.version;
