import type { Creation } from "@oto/sdk/schema";
import type { FastifyRequest } from "fastify";
import type { AuthContext } from "../auth.js";
import { sendStoredFile } from "../creations/fileResponse.js";
import { baseUrlFor, newShareToken } from "../creations/share.js";
import {
  type CreationRow,
  agentRefs,
  clearShareToken,
  ensureShareToken,
  findCreation,
  findCreationByShareToken,
  listCreations,
  setPublished,
} from "../creations/store.js";
import { toCreation, toShare } from "../creations/views.js";
import type { Db } from "../db/types.js";
import { ApiError } from "../problems.js";
import { decodeCursor, pageOf } from "../store/pagination.js";
import type { FileStore } from "../storage/files.js";
import type { WallPlacer } from "../wall/placer.js";
import { pinCreation, unpinCreation } from "../wall/pinning.js";
import { type Handler, requireAuth } from "./types.js";

export interface CreationDeps {
  db: Db;
  files: FileStore;
  /** config.publicUrl: the base of share links (else the request's own scheme and host). */
  publicUrl: string | undefined;
  /** Pins published creations on the wall. */
  wall: WallPlacer;
}

const CREATION_ID = /^cr_[0-9a-z]{26}$/;

// The same answer whether the creation does not exist or is someone else's draft: existence never leaks.
function notFound(id: string): ApiError {
  return new ApiError(404, "not_found", `No creation ${id}.`);
}

function noShare(): ApiError {
  return new ApiError(404, "not_found", "This share link does not exist or has been revoked.");
}

const isAuthor = (row: CreationRow, auth: AuthContext | undefined) => auth?.account.id === row.account_id;

export function creationHandlers(deps: CreationDeps): {
  listCreations: Handler<"listCreations">;
  getCreation: Handler<"getCreation">;
  downloadCreation: Handler<"downloadCreation">;
  getCreationThumbnail: Handler<"getCreationThumbnail">;
  publishCreation: Handler<"publishCreation">;
  unpublishCreation: Handler<"unpublishCreation">;
  shareCreation: Handler<"shareCreation">;
  revokeShare: Handler<"revokeShare">;
  getSharedCreation: Handler<"getSharedCreation">;
  downloadSharedCreation: Handler<"downloadSharedCreation">;
} {
  const { db, files } = deps;

  /** API views of rows, with their agents read in one query; the share link only for the author. */
  async function views(rows: CreationRow[], request: FastifyRequest, viewerId: string | undefined): Promise<Creation[]> {
    const agents = await agentRefs(db, rows.flatMap((row) => row.agent_ids));
    const base = baseUrlFor(request, deps.publicUrl);
    return rows.map((row) => toCreation(row, agents, row.account_id === viewerId ? toShare(row, base) : null));
  }

  async function view(row: CreationRow, request: FastifyRequest, viewerId: string | undefined): Promise<Creation> {
    return (await views([row], request, viewerId))[0]!;
  }

  /** A published creation for anyone; a draft only for its author. */
  async function visible(id: string, auth: AuthContext | undefined): Promise<CreationRow> {
    const row = await findCreation(db, id);
    if (!row || (row.state !== "published" && !isAuthor(row, auth))) throw notFound(id);
    return row;
  }

  async function shared(token: string): Promise<CreationRow> {
    const row = await findCreationByShareToken(db, token);
    if (!row) throw noShare();
    return row;
  }

  return {
    async listCreations({ auth, query, request }) {
      const account = requireAuth(auth).account;
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, CREATION_ID);
      const rows = await listCreations(db, account.id, { state: query.state, kind: query.kind }, limit, after);
      const { data, next_cursor } = pageOf(rows, limit, (row) => row);
      return { status: 200, body: { data: await views(data, request, account.id), next_cursor } };
    },

    async getCreation({ auth, params, request }) {
      const row = await visible(params.creation_id, auth);
      return { status: 200, body: await view(row, request, auth?.account.id) };
    },

    async downloadCreation({ auth, params, query, request, reply }) {
      const row = await visible(params.creation_id, auth);
      return sendStoredFile(request, reply, files, {
        sha256: row.sha256,
        mediaType: row.media_type,
        filename: row.filename,
        disposition: query.disposition ?? "attachment",
        cache: row.state === "published" ? "public" : "private",
        ranges: true,
      });
    },

    async getCreationThumbnail({ auth, params, request, reply }) {
      const row = await visible(params.creation_id, auth);
      if (row.thumbnail_sha256 === null) {
        throw new ApiError(404, "not_found", `Creation ${row.id} has no thumbnail (only images and videos have one).`);
      }
      const result = await sendStoredFile(request, reply, files, {
        sha256: row.thumbnail_sha256,
        mediaType: "image/webp",
        cache: row.state === "published" ? "public" : "private",
        ranges: false,
      });
      // Thumbnails are sent whole: without ranges the answer is 200 or 304.
      if (result.status === 206) throw new Error("thumbnail answered with a range");
      return result;
    },

    async publishCreation({ auth, params, request }) {
      const account = requireAuth(auth).account;
      // Published and pinned in one transaction. Publishing again changes nothing (the post-it is already there).
      const row = await deps.wall.transaction(async (w) => {
        const published = await setPublished(w.tx, params.creation_id, account.id, true);
        if (!published) return undefined;
        return (await pinCreation(w, published.id)) ? findCreation(w.tx, published.id) : published;
      });
      if (!row) throw notFound(params.creation_id);
      return { status: 200, body: await view(row, request, account.id) };
    },

    async unpublishCreation({ auth, params, request }) {
      const account = requireAuth(auth).account;
      const row = await deps.wall.transaction(async (w) => {
        const draft = await setPublished(w.tx, params.creation_id, account.id, false);
        if (!draft) return undefined;
        return (await unpinCreation(w, draft.id)) ? findCreation(w.tx, draft.id) : draft;
      });
      if (!row) throw notFound(params.creation_id);
      return { status: 200, body: await view(row, request, account.id) };
    },

    async shareCreation({ auth, params, request }) {
      const account = requireAuth(auth).account;
      const row = await ensureShareToken(db, params.creation_id, account.id, newShareToken());
      const share = row && toShare(row, baseUrlFor(request, deps.publicUrl));
      if (!share) throw notFound(params.creation_id);
      return { status: 200, body: share };
    },

    async revokeShare({ auth, params, request }) {
      const account = requireAuth(auth).account;
      const row = await clearShareToken(db, params.creation_id, account.id);
      if (!row) throw notFound(params.creation_id);
      return { status: 200, body: await view(row, request, account.id) };
    },

    // Share links are opened without an account (security: []), so the share itself is never shown here.
    async getSharedCreation({ params, request }) {
      const row = await shared(params.share_token);
      return { status: 200, body: await view(row, request, undefined) };
    },

    async downloadSharedCreation({ params, query, request, reply }) {
      const row = await shared(params.share_token);
      return sendStoredFile(request, reply, files, {
        sha256: row.sha256,
        mediaType: row.media_type,
        filename: row.filename,
        disposition: query.disposition ?? "attachment",
        // A revoked link must stop at once, also for browser caches.
        cache: "private",
        ranges: true,
      });
    },
  };
}
