import type { IncomingMessage } from "node:http";
import { newRequestId } from "./ids.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Keeps a caller's X-Request-Id when it is safe to log and echo, else makes a new `req_…` id. */
export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers["x-request-id"];
  return typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
}
