import type { Db } from "../db/types.js";
import { appliedMigrationCount } from "../db/migrations.js";
import { ApiError } from "../problems.js";
import type { Handler } from "./types.js";

export interface SystemDeps {
  db: Db;
  version: string;
  startedAt: number;
  /** How many migrations this build ships (all must be applied to be ready). */
  migrationCount: number;
}

export function systemHandlers(deps: SystemDeps): { getHealth: Handler<"getHealth">; getReadiness: Handler<"getReadiness"> } {
  return {
    async getHealth() {
      return {
        status: 200,
        body: { status: "ok", version: deps.version, uptime_s: (Date.now() - deps.startedAt) / 1000 },
      };
    },

    async getReadiness({ request }) {
      let applied: number;
      try {
        applied = await appliedMigrationCount(deps.db);
      } catch (err) {
        request.log.warn({ err }, "readiness: the database does not answer");
        throw new ApiError(503, "not_ready", "The database does not answer.");
      }
      if (applied < deps.migrationCount) {
        throw new ApiError(
          503,
          "not_ready",
          `${deps.migrationCount - applied} of ${deps.migrationCount} migrations are not applied yet.`,
        );
      }
      return { status: 200, body: { status: "ready", database: deps.db.kind, migrations: applied } };
    },
  };
}
