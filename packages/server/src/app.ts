import fastifyCors from "@fastify/cors";
import fastifyRateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import openapiGlue from "fastify-openapi-glue";
import { Authenticator } from "./auth.js";
import type { ServerConfig } from "./config.js";
import { readMigrations } from "./db/migrations.js";
import { openDatabase } from "./db/open.js";
import type { Db } from "./db/types.js";
import { frameworkErrors, installErrorHandling } from "./errors.js";
import { GenerationSystem, type GenerationOptions } from "./generation/jobs/index.js";
import { createHandlers } from "./handlers/index.js";
import type { ServiceHandlers } from "./handlers/types.js";
import { Idempotency } from "./idempotency.js";
import { serverVersion } from "./paths.js";
import { ApiError } from "./problems.js";
import { genReqId } from "./requestId.js";
import { FileStore } from "./storage/files.js";
import { ensureSigningKey } from "./lineage/keyStore.js";
import { HELMET_OPTIONS, helmetHeaders } from "./securityHeaders.js";
import { ResponseChecker, type ResponseViolation } from "./responseCheck.js";
import { operationResolver } from "./routes.js";
import { loadSpec, responseOnlyMediaTypes } from "./spec.js";
import { requestValidatorCompiler } from "./validation.js";
import { registerWebRoutes } from "./web.js";
import { backfillWall } from "./wall/pinning.js";
import { WallPlacer } from "./wall/placer.js";
import { WallSignal } from "./wall/signal.js";
import { LiveWallIndex } from "./wall/index/live.js";
import { installCommaArrays } from "./wall/tiles/formArrays.js";
import { WallTiles } from "./wall/tiles/service.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The database the app runs on (closed when the app closes). */
    db: Db;
    /** The settings the app was built with. */
    otoConfig: ServerConfig;
    /** Content-addressed storage of creation files (closed when the app closes). */
    files: FileStore;
    /** Generation jobs: runner, sweeper, event hub (stopped when the app closes). */
    generation: GenerationSystem;
    /** Responses that did not follow openapi.yaml (only recorded when config.checkResponses is on). */
    responseViolations: ResponseViolation[];
    /** Pins post-its (this process's placement state); wallSignal fires after each committed wall change. */
    wall: WallPlacer;
    wallSignal: WallSignal;
  }
}

export interface BuildOptions {
  /** Replaces some operation handlers (tests use it to prove the response checker works). */
  handlers?: Partial<ServiceHandlers>;
  /** Where the JSON log lines go (stdout by default). */
  logStream?: { write(line: string): void };
  /** Generation job knobs (tests: poll intervals, sweep interval, a simulated local delay…). */
  generation?: GenerationOptions;
}

/** The Fastify app, ready to listen: database opened and migrated, routes from openapi.yaml. */
export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const spec = loadSpec();
  const migrations = readMigrations();
  const db = await openDatabase(config, migrations);
  let app: FastifyInstance | undefined;
  let files: FileStore | undefined;
  try {
    files = await FileStore.open(config);
    // The lineage signing key: made by the first process to start, then shared by all of them.
    await ensureSigningKey(db);

    app = Fastify({
      logger: { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
      genReqId,
      frameworkErrors,
      // One log line per request (onResponse below) instead of two, labelled request_id.
      logController: new LogController({ requestIdLogLabel: "request_id", disableRequestLogging: true }),
      bodyLimit: config.bodyLimit,
      trustProxy: config.trustProxy,
      // While closing, requests already on an open connection are still served (then the DB closes).
      return503OnClosing: false,
    });
    app.decorate("db", db);
    app.decorate("otoConfig", config);
    app.decorate("files", files);
    app.decorateRequest("otoAuth", null);
    app.setValidatorCompiler(requestValidatorCompiler());
    // Only JSON bodies: any other content type answers 415.
    app.removeContentTypeParser("text/plain");
    // The spec names answer types (problem+json, files, event streams); as a request body each is
    // refused like any other non-JSON type. Declaring them also keeps the glue from warning about a
    // missing parser for each.
    for (const mediaType of responseOnlyMediaTypes(spec)) {
      app.addContentTypeParser(mediaType, (_request, _payload, done) => {
        done(new ApiError(415, "unsupported_media_type", `Send the body as application/json, not ${mediaType}.`), undefined);
      });
    }

    // Every answer (API, errors, pages) carries its request id and helmet's security headers.
    const securityHeaders = helmetHeaders(HELMET_OPTIONS);
    app.addHook("onRequest", (request, reply, done) => {
      reply.headers(securityHeaders);
      reply.header("x-request-id", request.id);
      done();
    });
    // While closing, answers ask the client to close its keep-alive connection: otherwise a
    // connection that was busy when close() began would stay open and close() would never end.
    let closing = false;
    app.addHook("preClose", async () => {
      closing = true;
    });
    app.addHook("onSend", (_request, reply, payload, done) => {
      if (closing) reply.header("connection", "close");
      done(null, payload);
    });
    app.addHook("onResponse", (request, reply, done) => {
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request done",
      );
      done();
    });
    installErrorHandling(app, { bodyLimit: config.bodyLimit });

    const checker = config.checkResponses ? new ResponseChecker(spec) : undefined;
    app.decorate("responseViolations", checker?.violations ?? []);
    checker?.install(app);

    // Without configured origins there is no CORS at all (browsers only on the same origin).
    if (config.corsOrigins.length > 0) {
      await app.register(fastifyCors, {
        origin: config.corsOrigins,
        methods: ["GET", "POST", "PATCH", "DELETE"],
        allowedHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
        exposedHeaders: ["X-Request-Id", "Retry-After", "Idempotent-Replayed", "Location", "Preference-Applied"],
        maxAge: 600,
      });
    }
    await app.register(fastifyRateLimit, { global: false });

    const authenticator = new Authenticator(db);
    const idempotency = new Idempotency(db, app.log);
    const server = app.server;
    const generation = new GenerationSystem(
      { db, files, config, log: app.log, listeningUrl: () => listeningUrl(server, config.host) },
      options.generation,
    );
    app.decorate("generation", generation);
    const wallSignal = new WallSignal();
    const wall = new WallPlacer(db, wallSignal);
    app.decorate("wall", wall);
    app.decorate("wallSignal", wallSignal);
    // The viewport side: an in-memory index of the wall, caught up from wall_changes, and the tiles built from it.
    const wallIndex = new LiveWallIndex(db, wallSignal, { onError: (err) => app?.log.warn({ err }, "wall index catch-up failed") });
    const wallIndexBuilt = wallIndex.start();
    wallIndexBuilt.catch(() => {}); // awaited below
    const wallTiles = new WallTiles(db, wallIndex, { cacheBytes: (config.wallTileCacheMb ?? 64) * 1024 * 1024 });
    // Before the server stops accepting: event streams end, runs stop (resumed by the next start).
    app.addHook("preClose", async () => {
      await generation.close();
    });
    const handlers: ServiceHandlers = {
      ...createHandlers({
        db,
        version: serverVersion(),
        startedAt: Date.now(),
        migrationCount: migrations.length,
        adminHandles: config.adminHandles,
        authenticator,
        files,
        publicUrl: config.publicUrl,
        starterTokens: config.starterTokens,
        stripe: config.stripe,
        tokenPacks: config.tokenPacks,
        generation,
        wall,
        wallTiles,
      }),
      ...options.handlers,
    };
    installCommaArrays(app, spec);
    await app.register(openapiGlue, {
      specification: spec.document,
      operationResolver: operationResolver({
        app,
        spec,
        handlers,
        authenticator,
        idempotency,
        authRateLimit: config.authRateLimit,
        bodyLimit: config.bodyLimit,
      }) as never,
    });
    await registerWebRoutes(app, spec);

    app.addHook("onClose", async () => {
      wallIndex.close();
      await idempotency.close();
      await db.close();
      await files?.close();
    });
    await app.ready();
    // The placement state is built from the database, and anything published before the wall existed is pinned.
    await backfillWall(wall);
    await wallIndexBuilt;
    await generation.start();
    return app;
  } catch (err) {
    if (app) await app.close().catch(() => {});
    await db.close().catch(() => {});
    await files?.close().catch(() => {});
    throw err;
  }
}

/** http://host:port of a listening server (undefined before it listens). */
function listeningUrl(server: import("node:http").Server, host: string): string | undefined {
  const address = server.address();
  if (address === null || typeof address !== "object") return undefined;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}
