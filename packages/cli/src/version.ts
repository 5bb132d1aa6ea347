declare const __OTO_CLI_VERSION__: string | undefined;

/** The CLI's version, put in by tsup from package.json at build time. */
export const VERSION: string = typeof __OTO_CLI_VERSION__ === "string" ? __OTO_CLI_VERSION__ : "0.0.0-dev";
