import type { operations } from "@oto/sdk/schema";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthContext } from "../auth.js";

export type OperationId = keyof operations;

/** The body of a non-JSON response (a file, a stream): sent as is, not serialized. */
export type RawBody = NodeJS.ReadableStream | Uint8Array | string;

// JSON responses carry their schema's type; other content (files, event streams) a RawBody; none, undefined.
type JsonContent<R> = R extends { content: { "application/json": infer B } }
  ? B
  : R extends { content: object }
    ? RawBody
    : undefined;
type Responses<K extends OperationId> = operations[K]["responses"];
type SuccessStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204 | 206 | 304>;

/** What a handler answers: one of the operation's 2xx (or 304) statuses with the body the spec gives it. */
export type HandlerResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; body: JsonContent<Responses<K>[S]> };
}[SuccessStatus<K>];

type Parameters<K extends OperationId> = operations[K]["parameters"];
export type RequestBody<K extends OperationId> = operations[K] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : undefined;

export interface HandlerInput<K extends OperationId> {
  /** Validated against the spec before the handler runs. */
  body: RequestBody<K>;
  query: NonNullable<Parameters<K>["query"]>;
  params: NonNullable<Parameters<K>["path"]>;
  /** Set for operations that require an API key. */
  auth: AuthContext | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
}

export type Handler<K extends OperationId> = (input: HandlerInput<K>) => Promise<HandlerResult<K>>;

/** One handler per operation of openapi.yaml: a missing or extra one does not compile. */
export type ServiceHandlers = { [K in OperationId]: Handler<K> };

/** The account of an authenticated request (the security hook guarantees it). */
export function requireAuth(auth: AuthContext | undefined): AuthContext {
  if (!auth) throw new Error("operation requires authentication but no auth context was set");
  return auth;
}
