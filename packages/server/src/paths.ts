import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The code runs from src/… (tests) or from dist/ (built; the build copies openapi.yaml and the
// migrations next to the bundle). Either way the files are found by walking up from this module.
const here = path.dirname(fileURLToPath(import.meta.url));

function findUp(relative: string, check: (candidate: string) => boolean = existsSync): string | undefined {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, relative);
    if (check(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function mustFind(relative: string, what: string): string {
  const found = findUp(relative);
  if (found === undefined) throw new Error(`Cannot find ${what} (${relative}) above ${here}`);
  return found;
}

export const specPath = (): string => mustFind("openapi.yaml", "the API spec");
export const migrationsDir = (): string => mustFind("migrations", "the SQL migrations");

/** The server package's root folder (holds package.json). */
function packageRoot(): string {
  const pkg = findUp("package.json", (p) => {
    if (!existsSync(p)) return false;
    return (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === "@oto/server";
  });
  if (pkg === undefined) throw new Error(`Cannot find the @oto/server package.json above ${here}`);
  return path.dirname(pkg);
}

let version: string | undefined;
export function serverVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string })
    .version;
  return version;
}

/** packages/viewer/dist when the viewer has been built next to this package, else undefined. */
export function viewerDistDir(): string | undefined {
  const dir = path.join(packageRoot(), "..", "viewer", "dist");
  return existsSync(path.join(dir, "index.html")) ? dir : undefined;
}
