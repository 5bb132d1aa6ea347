import { createHash } from "node:crypto";
import type { ServerConfig } from "../config.js";
import { type Migration, migrate } from "./migrations.js";
import { migratedTemplate, openPglite } from "./pglite.js";
import { openPostgres } from "./postgres.js";
import type { Db } from "./types.js";

/**
 * PostgreSQL when DATABASE_URL is set, else PGlite in OTO_DATA_DIR (or in memory), with every
 * migration applied.
 */
export async function openDatabase(
  config: Pick<ServerConfig, "databaseUrl" | "dataDir">,
  migrations: Migration[],
): Promise<Db> {
  let db: Db;
  if (config.databaseUrl) {
    db = await openPostgres(config.databaseUrl);
  } else if (config.dataDir === "memory:") {
    const key = createHash("sha256").update(JSON.stringify(migrations)).digest("hex");
    db = await openPglite("memory:", { template: await migratedTemplate(key, (fresh) => migrate(fresh, migrations)) });
  } else {
    db = await openPglite(config.dataDir);
  }
  try {
    await migrate(db, migrations); // nothing left to do on a template copy
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

export type { Db, Queryable } from "./types.js";
