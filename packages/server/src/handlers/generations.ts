import { PassThrough } from "node:stream";
import { decodeCursor, pageOf } from "../store/pagination.js";
import type { GenerationSystem } from "../generation/jobs/index.js";
import { isEnded, toGeneration } from "../generation/jobs/rows.js";
import { type Handler, requireAuth } from "./types.js";

export interface GenerationDeps {
  generation: GenerationSystem;
}

const JOB_ID = /^job_[0-9a-z]{26}$/;

/** `Prefer: wait=N` → N (the spec's pattern has already checked the header). */
function preferredWaitS(prefer: string | string[] | undefined): number | undefined {
  const value = Array.isArray(prefer) ? prefer[0] : prefer;
  const match = value === undefined ? null : /^\s*wait=(\d+)\s*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

export function generationHandlers(deps: GenerationDeps): {
  quoteGeneration: Handler<"quoteGeneration">;
  listGenerations: Handler<"listGenerations">;
  createGeneration: Handler<"createGeneration">;
  getGeneration: Handler<"getGeneration">;
  cancelGeneration: Handler<"cancelGeneration">;
  streamGenerationEvents: Handler<"streamGenerationEvents">;
  runpodWebhook: Handler<"runpodWebhook">;
} {
  // Read on use: the contract test makes the handlers without dependencies.
  const jobs = () => deps.generation.service;

  return {
    async quoteGeneration({ auth, body }) {
      return { status: 200, body: await jobs().quote(requireAuth(auth).account.id, body) };
    },

    async listGenerations({ auth, query }) {
      const limit = query.limit ?? 20;
      const rows = await jobs().list(requireAuth(auth).account.id, query.status, limit, decodeCursor(query.cursor, JOB_ID));
      return { status: 200, body: pageOf(rows, limit, toGeneration) };
    },

    async createGeneration({ auth, body, request, reply }) {
      const job = await jobs().create(requireAuth(auth).account.id, body);
      reply.header("location", `/v1/generations/${job.id}`);
      const waitS = preferredWaitS(request.headers.prefer);
      if (waitS === undefined) return { status: 202, body: toGeneration(job) };
      const view = await jobs().follow(job, () => {}, AbortSignal.timeout(waitS * 1000));
      if (isEnded(view.status)) {
        reply.header("preference-applied", `wait=${waitS}`);
        return { status: 200, body: view };
      }
      return { status: 202, body: view };
    },

    async getGeneration({ auth, params }) {
      return { status: 200, body: toGeneration(await jobs().getOwn(requireAuth(auth).account.id, params.job_id)) };
    },

    async cancelGeneration({ auth, params }) {
      return { status: 200, body: toGeneration(await jobs().cancel(requireAuth(auth).account.id, params.job_id)) };
    },

    async streamGenerationEvents({ auth, params, reply }) {
      const job = await jobs().getOwn(requireAuth(auth).account.id, params.job_id);
      const stream = new PassThrough();
      const stop = new AbortController();
      // The client went away (or the answer ended): stop following.
      reply.raw.on("close", () => stop.abort());
      const keepAlive = setInterval(() => stream.write(": keep-alive\n\n"), deps.generation.keepAliveMs);
      void jobs()
        .follow(job, (view) => stream.write(`event: generation\ndata: ${JSON.stringify(view)}\n\n`), stop.signal)
        .finally(() => {
          clearInterval(keepAlive);
          stream.end();
        });
      reply
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache, no-transform")
        .header("x-accel-buffering", "no");
      // The spec gives this answer no JSON body; Fastify pipes the stream as it is written.
      return { status: 200, body: stream };
    },

    async runpodWebhook({ params, query }) {
      const outcome = await deps.generation.runpodWebhook(params.job_id, query.t);
      return { status: 200, body: { received: true, outcome } };
    },
  };
}
