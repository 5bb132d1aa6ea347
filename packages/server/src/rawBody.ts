import { Transform } from "node:stream";
import type { preParsingAsyncHookHandler } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** The body's bytes exactly as received, on operations that verify a signature over them. */
    rawBody?: Buffer;
  }
}

/**
 * A preParsing hook that keeps a copy of the body's bytes while they flow to the JSON parser
 * (which still applies the body limit and parses as usual). Only added to the routes that need
 * it (signed webhooks), so no other route holds its body twice.
 */
export const captureRawBody: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const chunks: Buffer[] = [];
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      request.rawBody = Buffer.concat(chunks);
      callback();
    },
  });
  payload.on("error", (err) => tee.destroy(err));
  return payload.pipe(tee);
};
