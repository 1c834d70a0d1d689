import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { createFetch } from "@whatwg-node/fetch";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, maskError, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { type Logger, pino } from "pino";
import { WebSocketServer } from "ws";
import { secretKey } from "./auth.js";
import { type Config, loadConfig } from "./config.js";
import { type Context, type CurrentUser, resolveUser, type Services } from "./context.js";
import { type Database, openDatabase } from "./db/index.js";
import { badInput, ErrorCode, isNulCharacterError, ReelayError } from "./errors.js";
import { createMediaSigner, MEDIA_PATH_PREFIX, serveMedia } from "./http/media.js";
import { createMediaProxy } from "./http/media-proxy.js";
import { createMetrics } from "./metrics.js";
import { createLocalPubSub, createRedisPubSub } from "./pubsub.js";
import { schema } from "./schema/index.js";
import { createLocalStorage } from "./storage/local.js";
import { createPoller, type Poller } from "./worker/poller.js";

export const GRAPHQL_PATH = "/graphql";
/** the header a multipart (upload) request must carry, so a cross-site form cannot post one */
export const CSRF_HEADER = "x-graphql-yoga-csrf";
/** multipart bodies hold one file plus the operation; this is the room left for the rest */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
/** how long open connections may finish before shutdown cuts them */
const SHUTDOWN_GRACE_MS = 10_000;

export interface App {
  services: Services;
  poller: Poller | null;
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  server: Server;
  /** listens on config.port (0 = any free port); resolves with the URL of the GraphQL endpoint */
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
}

export interface AppOptions {
  config?: Partial<Config>;
  /** the database, already being opened (see main.ts); opened from config.databaseUrl otherwise */
  database?: Promise<Database>;
  logger?: Logger;
  referenceFetch?: Services["referenceFetch"];
}

/** Builds one Reelay instance: database (migrated), pub/sub, storage, GraphQL over HTTP, WebSocket and SSE, and the worker. */
export async function buildApp(options: AppOptions = {}): Promise<App> {
  const config: Config = { ...loadConfig(), ...options.config };
  // Every line logged while a request is handled carries its id, whatever code logs it.
  const logger =
    options.logger ??
    pino({ level: config.logLevel, base: { service: "reelay", role: config.role }, mixin: () => requestScope.getStore() ?? {} });
  if (config.jwtSecretIsDefault) {
    logger.warn("JWT_SECRET is not set: using the public development secret. Anyone can mint tokens. Set JWT_SECRET in production.");
  }

  const database = await (options.database ?? openDatabase(config.databaseUrl));
  database.onConnectionLost((err) => logger.warn({ err: err.message }, "lost a database connection; new ones are opened as needed"));
  const applied = await database.migrate();
  if (applied.length) logger.info({ applied }, "applied database migrations");

  const pubsub = config.redisUrl ? createRedisPubSub({ url: config.redisUrl, prefix: config.redisPrefix }) : createLocalPubSub();
  const services: Services = {
    instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    config,
    db: database.db,
    pubsub,
    // The AWS SDK takes a while to load: only when object storage is configured.
    storage: config.s3 ? (await import("./storage/s3.js")).createS3Storage(config.s3) : createLocalStorage(config.mediaDir),
    signer: createMediaSigner(config.jwtSecret, () => config.publicBaseUrl, config.mediaUrlTtlSeconds),
    logger,
    jwtKey: secretKey(config.jwtSecret),
    metrics: createMetrics(database.db, () => database.statements()),
    referenceFetch: options.referenceFetch,
  };

  const mediaProxy = createMediaProxy(services);
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: { title: "Reelay", subscriptionsProtocol: "WS" },
    logging: logger.child({ component: "yoga" }),
    fetchAPI: createFetch({
      formDataLimits: { fileSize: config.maxReferenceImageBytes + 1, files: 1, fieldSize: MULTIPART_OVERHEAD_BYTES },
    }),
    context: async (initial): Promise<Context> => {
      // Over WebSocket the user was resolved once, when the connection opened.
      const extra = (initial as { extra?: { currentUser?: CurrentUser } }).extra;
      if (extra?.currentUser) return { services, currentUser: extra.currentUser };
      return { services, currentUser: await resolveUser(services, initial.request.headers.get("authorization")) };
    },
    maskedErrors: {
      maskError(error, message, isDev) {
        // yoga's own body and multipart file-size refusals: the contract's code for them is PAYLOAD_TOO_LARGE
        if ((error as { extensions?: { code?: unknown } }).extensions?.code === "REQUEST_ENTITY_TOO_LARGE") {
          const max = config.maxReferenceImageBytes;
          return (error as Error).message.startsWith("File size limit exceeded")
            ? new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `inputReference is larger than the ${max}-byte limit`, { maxBytes: max })
            : new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, (error as Error).message);
        }
        if (isNulCharacterError(error)) return badInput("Text arguments must not contain NUL characters");
        const masked = maskError(error, message, isDev);
        if (masked !== error) logger.error({ err: (error as { originalError?: unknown }).originalError ?? error }, "unexpected error");
        return masked;
      },
    },
    plugins: [
      useCsrfHeaderForSimpleRequests(),
      usePayloadLimit(config.maxReferenceImageBytes + MULTIPART_OVERHEAD_BYTES),
      EnvelopArmorPlugin({
        maxDepth: { n: 10, ignoreIntrospection: true },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        maxTokens: { n: 2_000 },
        costLimit: { maxCost: 5_000, ignoreIntrospection: true },
      }),
    ],
  });

  const server = createServer((req, res) => {
    void route(req, res).catch((err) => {
      logger.error({ err }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse) {
    const requestId = requestIdOf(req);
    res.setHeader("x-request-id", requestId);
    // On Node 20 the first AsyncLocalStorage.run() turns on promise hooks for the whole
    // process, which costs every promise from then on; probes log nothing, so a worker that
    // only answers probes and scrapes never pays for request scopes.
    if (PROBE_PATHS.has((req.url ?? "").split("?", 1)[0])) return handle(req, res);
    return requestScope.run({ requestId }, () => handle(req, res));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") return json(res, 200, { status: "ok" });
    if (url.pathname === "/ready") {
      const [database_, redis] = [await database.ping(), config.redisUrl ? pubsub.healthy() : null];
      const ready = database_ && redis !== false;
      return json(res, ready ? 200 : 503, {
        status: ready ? "ready" : "unavailable",
        database: database_,
        ...(redis === null ? {} : { redis }),
      });
    }
    if (url.pathname === "/metrics") {
      const body = await services.metrics.registry.metrics();
      res.writeHead(200, { "content-type": services.metrics.registry.contentType, "cache-control": "no-store" }).end(body);
      return;
    }
    // A worker only polls; it answers the probes and metrics above and nothing else.
    if (config.role === "worker") return json(res, 404, { error: "this instance runs with ROLE=worker and serves no API" });
    if (url.pathname.startsWith(MEDIA_PATH_PREFIX)) return serveMedia(req, res, url, services.storage, services.signer, mediaProxy);
    return yoga(req, res);
  }

  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (socket) => {
    services.metrics.websockets.inc();
    socket.once("close", () => services.metrics.websockets.dec());
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (config.role === "worker" || path !== GRAPHQL_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  const wsServer = useServer<Record<string, unknown>, { currentUser?: CurrentUser }>(
    {
      // A bad or missing token closes the socket with 4403 Forbidden.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = (params.authorization ?? params.Authorization) as string | undefined;
        try {
          const user = await resolveUser(services, header);
          if (!user) return false;
          ctx.extra.currentUser = user;
          return true;
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as { execute: typeof import("graphql").execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import("graphql").subscribe }).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        // The same plugins, context and masking as over HTTP.
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const document = parse(params.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );

  const poller = config.role === "api" ? null : createPoller(services);
  let stopping: Promise<void> | null = null;

  return {
    services,
    poller,
    yoga,
    server,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      if (config.port === 0 && !process.env.PUBLIC_BASE_URL && !options.config?.publicBaseUrl) {
        config.publicBaseUrl = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
      }
      poller?.start();
      logger.info(
        { port, role: config.role, database: database.kind, pubsub: config.redisUrl ? "redis" : "in-process" },
        "reelay is listening",
      );
      return { port, url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}` };
    },
    stop() {
      stopping ??= (async () => {
        // Stop taking connections; idle keep-alive ones close now, busy ones may finish.
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const steps: [string, () => Promise<unknown>][] = [
          // Subscribers are told the server is going away (1001) and can reconnect elsewhere.
          ["close websockets", async () => wsServer.dispose()],
          // In-flight polls and downloads may finish within the grace period; then they are cut short and their leases handed back.
          ["stop the worker", async () => poller && (await withinGrace(poller.close(), () => poller.close(true)))],
          // Ends every live subscription, so SSE streams finish and their requests complete.
          ["close pub/sub", () => pubsub.close()],
          ["finish open requests", () => withinGrace(closeWhenIdle(server, httpClosed), async () => server.closeAllConnections())],
          ["dispose yoga", async () => yoga.dispose()],
          ["close the database", () => database.close()],
        ];
        for (const [what, step] of steps) {
          try {
            await step();
          } catch (err) {
            logger.warn({ err }, `shutdown: could not ${what}`);
          }
        }
        server.closeAllConnections();
      })();
      return stopping;
    },
  };
}

/** Keep-alive connections whose last request ends during shutdown are closed as soon as they fall idle. */
async function closeWhenIdle(server: Server, closed: Promise<void>) {
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  try {
    server.closeIdleConnections();
    await closed;
  } finally {
    clearInterval(sweep);
  }
}

/** Waits for `work` up to the shutdown grace period, then runs `cutShort` and waits for that. */
async function withinGrace(work: Promise<unknown>, cutShort: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), SHUTDOWN_GRACE_MS);
  });
  try {
    if ((await Promise.race([work, expired])) === "expired") await cutShort();
  } finally {
    clearTimeout(timer);
  }
}

const requestScope = new AsyncLocalStorage<{ requestId: string }>();
const PROBE_PATHS = new Set(["/health", "/ready", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane token (a proxy's, say), else a fresh one. */
function requestIdOf(req: IncomingMessage) {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

/**
 * Requests a browser may send cross-site without a preflight (multipart, url-encoded,
 * text/plain) must carry the CSRF header. GET is left alone: tokens travel in the
 * Authorization header, never in cookies, and EventSource (SSE) cannot set headers.
 */
function useCsrfHeaderForSimpleRequests(): Plugin {
  const SIMPLE_TYPES = ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"];
  return {
    onRequestParse({ request }) {
      const type = request.headers.get("content-type")?.toLowerCase() ?? "";
      if (request.method === "GET" || !SIMPLE_TYPES.some((t) => type.startsWith(t))) return;
      if (request.headers.has(CSRF_HEADER)) return;
      throw new ReelayError(ErrorCode.FORBIDDEN, `Multipart requests must carry the ${CSRF_HEADER} header`, {
        http: { status: 403 },
      });
    },
  };
}

/** Refuses a body larger than the limit by its Content-Length, before reading it. */
function usePayloadLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request }) {
      const length = Number(request.headers.get("content-length"));
      if (Number.isFinite(length) && length > maxBytes) {
        throw new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `The request is larger than ${maxBytes} bytes`);
      }
    },
  };
}
