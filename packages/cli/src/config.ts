import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, UsageError } from "./errors.js";

export const DEFAULT_SERVER = "http://127.0.0.1:4000";

/** What `oto login` and `oto register` remember, in credentials.json (mode 0600). */
export interface Credentials {
  server: string;
  api_key: string;
  handle: string;
  key_id: string;
}

/** User settings in config.json, edited by hand. */
export interface UserConfig {
  /** The server to use when neither --server nor OTO_SERVER is given. */
  server?: string;
}

/** `$OTO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/oto`, else `~/.config/oto`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.OTO_CONFIG_DIR) return env.OTO_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "oto");
  return join(env.HOME || homedir(), ".config", "oto");
}

export const credentialsPath = (dir: string): string => join(dir, "credentials.json");
export const userConfigPath = (dir: string): string => join(dir, "config.json");

/** A server URL as typed by a person, reduced to a canonical form ("http://host:port[/path]"). */
export function normalizeServerUrl(raw: string, source = "--server"): string {
  let url: URL;
  try {
    url = new URL(raw.includes("://") ? raw : `http://${raw}`);
  } catch {
    throw new UsageError(`${source} is not a valid URL (got "${raw}").`, "Example: --server http://127.0.0.1:4000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} must be an http:// or https:// URL (got "${raw}").`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON.`, 1, "Fix or delete the file, then try again.");
  }
}

export async function readUserConfig(dir: string): Promise<UserConfig> {
  const path = userConfigPath(dir);
  const value = await readJsonFile(path);
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`${path} must hold a JSON object.`);
  }
  const server = (value as Record<string, unknown>).server;
  if (server !== undefined && typeof server !== "string") {
    throw new CliError(`"server" in ${path} must be a string.`);
  }
  return server === undefined ? {} : { server };
}

export async function readCredentials(dir: string): Promise<Credentials | undefined> {
  const path = credentialsPath(dir);
  const value = await readJsonFile(path);
  if (value === undefined) return undefined;
  const record = value as Partial<Record<keyof Credentials, unknown>>;
  const complete = (["server", "api_key", "handle", "key_id"] as const).every(
    (field) => typeof record[field] === "string" && record[field] !== "",
  );
  if (!complete) {
    throw new CliError(`${path} is incomplete or damaged.`, 1, 'Run "oto login" to write it again.');
  }
  return record as Credentials;
}

/** Writes credentials.json atomically (temp file + rename), readable by the owner only. */
export async function writeCredentials(dir: string, credentials: Credentials): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(dir);
  const temp = join(dir, `.credentials.json.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    // The mode given to writeFile is filtered by the umask; make sure of 0600.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new CliError(`cannot write ${path}: ${(err as Error).message}`);
  }
  return path;
}

/** Deletes credentials.json; false when there was none. */
export async function deleteCredentials(dir: string): Promise<boolean> {
  try {
    await rm(credentialsPath(dir));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new CliError(`cannot delete ${credentialsPath(dir)}: ${(err as Error).message}`);
  }
}
