import path from "node:path";
import fastifyHelmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { viewerDistDir } from "./paths.js";
import { HELMET_OPTIONS } from "./securityHeaders.js";
import type { LoadedSpec } from "./spec.js";

const LANDING_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>oTo API</title></head>
<body>
<h1>oTo API</h1>
<p>The wall viewer is not built. Read the <a href="/docs">API reference</a> or the <a href="/openapi.yaml">OpenAPI document</a>.</p>
</body>
</html>
`;

/** GET /openapi.yaml, the API reference at /docs, and the viewer (or a small landing page) at /. */
export async function registerWebRoutes(root: FastifyInstance, spec: LoadedSpec): Promise<void> {
  await root.register(async (app) => {
    await webRoutes(app, spec);
  });
}

async function webRoutes(app: FastifyInstance, spec: LoadedSpec): Promise<void> {
  // Only this context (the pages) runs @fastify/helmet per request; API routes get the same headers precomputed.
  await app.register(fastifyHelmet, HELMET_OPTIONS);
  app.get("/openapi.yaml", { schema: { hide: true } }, async (_request, reply) =>
    reply.type("application/yaml; charset=utf-8").send(spec.text),
  );

  await app.register(fastifySwagger, { mode: "static", specification: { path: spec.path, baseDir: path.dirname(spec.path) } });
  await app.register(fastifySwaggerUi, {
    routePrefix: "/docs",
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/, ""),
    // "Try it out" must call the server the page came from, not the spec's example address.
    transformSpecification: (document, request) => ({
      ...(document as Record<string, unknown>),
      servers: [{ url: `${request.protocol}://${request.host}`, description: "This server" }],
    }),
  });

  const viewer = viewerDistDir();
  if (viewer) {
    await app.register(fastifyStatic, {
      root: viewer,
      prefix: "/",
      index: ["index.html"],
      // The viewer's assets carry a content hash in their names; index.html does not and is revalidated.
      setHeaders: (res, file) => {
        if (/-[A-Z0-9]{8}\.(js|css|woff2?)$/.test(file)) res.header("cache-control", "public, max-age=31536000, immutable");
      },
    });
  } else {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html; charset=utf-8").send(LANDING_PAGE),
    );
  }
}
