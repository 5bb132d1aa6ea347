import type { IncomingMessage, ServerResponse } from "node:http";
import helmet, { type HelmetOptions } from "helmet";

/**
 * helmet's defaults, except that plain-http deployments (a LAN address) must keep working: no
 * upgrade-insecure-requests in the Content-Security-Policy.
 */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
} satisfies HelmetOptions;

/**
 * The headers helmet sets, computed once. @fastify/helmet builds a helmet middleware on every
 * request, which costs about a third of a small JSON route's throughput, so every answer gets this
 * precomputed copy; @fastify/helmet itself only runs for the web pages (/docs, the viewer).
 */
export function helmetHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}
