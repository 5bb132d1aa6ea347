import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { Db, Queryable } from "./types.js";

/**
 * Embedded PostgreSQL (WASM). "memory:" keeps everything in memory; any other value is a data
 * folder, created on first start. PGlite is one connection: it queues queries and runs a
 * transaction exclusively, so concurrent requests are serialized safely.
 */
export async function openPglite(dataDir: string, options: { template?: Blob } = {}): Promise<Db> {
  let pg: PGlite;
  if (dataDir === "memory:") {
    pg = await PGlite.create(options.template ? { loadDataDir: options.template } : {});
  } else {
    mkdirSync(dataDir, { recursive: true });
    pg = await PGlite.create(dataDir);
  }
  return openWrapped(pg);
}

function openWrapped(pg: PGlite): Db {
  let closed = false;
  return {
    kind: "pglite",
    async query<T>(sql: string, params?: unknown[]) {
      return (await pg.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    async transaction<R>(fn: (tx: Queryable) => Promise<R>) {
      return pg.transaction(async (tx) =>
        fn({
          async query<T>(sql: string, params?: unknown[]) {
            return (await tx.query<T>(sql, params)).rows;
          },
          async exec(sql: string) {
            await tx.exec(sql);
          },
        }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}

const templates = new Map<string, Promise<Blob>>();

/**
 * A snapshot of an empty, fully migrated in-memory database, made once per process and set of
 * migrations. Creating a PGlite database runs initdb (seconds); loading a snapshot takes a few
 * hundred milliseconds, which matters for tests that start many in-memory servers.
 */
export function migratedTemplate(key: string, prepare: (db: Db) => Promise<unknown>): Promise<Blob> {
  let template = templates.get(key);
  if (!template) {
    template = (async () => {
      const pg = await PGlite.create();
      try {
        const db = openWrapped(pg);
        await prepare(db);
        return (await pg.dumpDataDir("none")) as Blob;
      } finally {
        await pg.close();
      }
    })();
    template.catch(() => templates.delete(key));
    templates.set(key, template);
  }
  return template;
}
