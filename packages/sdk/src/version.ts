// Replaced at build time with the version in package.json (see tsup.config.ts).
declare const __OTO_SDK_VERSION__: string | undefined;

/** The version of this package. Reads "0.0.0-dev" only when the source runs unbuilt (tests). */
export const SDK_VERSION: string = typeof __OTO_SDK_VERSION__ === "string" ? __OTO_SDK_VERSION__ : "0.0.0-dev";
