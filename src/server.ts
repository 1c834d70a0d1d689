import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFetch } from "@whatwg-node/fetch";
import { GraphQLError, type execute as graphqlExecute, type subscribe as graphqlSubscribe } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type MaskError, maskError, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { Clock } from "./clock.js";
import { type Config, loadConfig, redisTarget } from "./config.js";
import { type Context, type CurrentUser, resolveUser, type Services } from "./context.js";
import type { Database } from "./db/index.js";
import { badInput, boundMessage, ErrorCode, isNulCharacterError, ReelayError } from "./errors.js";
import { GRAPHIQL_OPTIONS, renderReelayGraphiQL } from "./http/graphiql.js";
import { useQueryLimits } from "./http/query-limits.js";
import { createRequestHandler, currentRequestFields } from "./http/routes.js";
import {
  useBoundedValidationErrors,
  useClientErrorCodes,
  useCorsOrigins,
  useCsrfHeaderForSimpleRequests,
  useIntrospection,
  usePayloadLimit,
} from "./http/yoga-plugins.js";
import { useMutationRateLimit } from "./rate-limits/mutation-limit.js";
import { createWebSocketLimits } from "./rate-limits/websocket-limits.js";
import { schema } from "./schema/index.js";
import { createServices, httpOrigin, runInOrder } from "./services.js";
import { createPoller, type Poller } from "./worker/poller.js";
import { closeRefresher } from "./worker/refresh.js";

export { CSRF_HEADER } from "./http/yoga-plugins.js";

export const GRAPHQL_PATH = "/graphql";
/** multipart bodies hold one file plus the operation; this is the room left for the rest */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
/** what the start-up line says carries events between instances */
const PUBSUB_KIND = { server: "redis", cluster: "redis-cluster", sentinel: "redis-sentinel", none: "in-process" } as const;
/** the largest WebSocket message read; ws refuses a longer one from its frame header (close 1009), before any parse or auth */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 1024 * 1024;
/** how long open connections may finish before shutdown cuts them; deploy files' stop periods allow for it */
export const SHUTDOWN_GRACE_MS = 10_000;
/**
 * The close code WebSockets get at shutdown: 1012 Service Restart, after which graphql-ws
 * clients (and @reelay/client's) reconnect, through a load balancer to another instance, and
 * subscribe again, receiving each task's current state first.
 */
export const SHUTDOWN_CLOSE_CODE = 1012;

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

export interface App {
  services: Services;
  poller: Poller | null;
  yoga: Yoga;
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
  /** the time the app's rules read (deadlines, leases, back-offs, cool-downs, retention); the machine's own otherwise */
  clock?: Clock;
}

/** Builds one Reelay instance: its services, GraphQL over HTTP, WebSocket and SSE beside the plain routes, and the worker. */
export async function buildApp(options: AppOptions = {}): Promise<App> {
  const config = frozenConfig({ ...loadConfig(), ...options.config });
  const services = await createServices(config, {
    database: options.database,
    logger: options.logger,
    logFields: currentRequestFields,
    referenceFetch: options.referenceFetch,
    clock: options.clock,
  });
  const yoga = createGraphQLServer(services);
  const server = createServer(createRequestHandler(services, yoga));
  const websockets = serveWebSockets(server, yoga, services);
  const poller = config.role === "api" ? null : createPoller(services);
  let stopping: Promise<void> | null = null;
  return {
    services,
    poller,
    yoga,
    server,
    start: () => listen(server, services, poller),
    stop() {
      stopping ??= (async () => {
        const requestsFinished = stopAccepting(server);
        await runInOrder(services.logger, "shutdown", [
          // Subscribers are told the service is restarting (1012) and reconnect elsewhere.
          ["close websockets", () => websockets.dispose()],
          // In-flight polls and downloads may finish within the grace period; then they are cut short and their leases handed back.
          ["stop the worker", async () => poller && (await withinGrace(poller.close(), () => poller.close(true)))],
          // Polls made now for a reader or an admin (fresh on read, refreshTask), like the worker's.
          ["stop refreshes", () => withinGrace(closeRefresher(services), () => closeRefresher(services, true))],
          // Ends every live subscription, so SSE streams finish and their requests complete.
          ["close pub/sub", () => services.pubsub.close()],
          ["finish open requests", () => withinGrace(requestsFinished(), async () => server.closeAllConnections())],
          ["dispose yoga", async () => yoga.dispose()],
          ["close the database", () => services.close()],
        ]);
        server.closeAllConnections();
      })();
      return stopping;
    },
  };
}

/** Config never changes once the app is built; a write to it throws. */
function frozenConfig(config: Config): Config {
  return Object.freeze({
    ...config,
    s3: config.s3 && Object.freeze({ ...config.s3 }),
    jwtAudience: Object.freeze([...config.jwtAudience]),
    corsOrigins: config.corsOrigins === "*" ? "*" : Object.freeze([...config.corsOrigins]),
  });
}

/** yoga with Reelay's schema, context, error masking and request limits. */
function createGraphQLServer(services: Services): Yoga {
  const { config, logger } = services;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: config.graphiql ? GRAPHIQL_OPTIONS : false,
    renderGraphiQL: renderReelayGraphiQL,
    // useCorsOrigins below: yoga's default echoes any origin and allows credentials.
    cors: false,
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
    maskedErrors: { maskError: createErrorMask(services) },
    plugins: [
      useCorsOrigins(config.corsOrigins),
      useCsrfHeaderForSimpleRequests(),
      usePayloadLimit(config.maxReferenceImageBytes + MULTIPART_OVERHEAD_BYTES),
      useIntrospection(config.introspection),
      ...useQueryLimits(),
      useBoundedValidationErrors(),
      useClientErrorCodes(),
      useMutationRateLimit(services.limits),
    ],
  });
}

/**
 * Errors as clients see them: yoga's own refusals under the contract's codes, every error
 * that is not a GraphQLError masked (INTERNAL_SERVER_ERROR, logged), and no message longer
 * than MAX_ERROR_MESSAGE_LENGTH, however much of the input graphql-js quoted.
 */
function createErrorMask({ config, logger }: Services): MaskError {
  const contractError = (error: unknown, message: string, isDev?: boolean): Error => {
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
  };
  return (error, message, isDev) => boundMessage(contractError(error, message, isDev));
}

/** graphql-ws on the GraphQL path of `server`, through yoga's plugins, context and masking. */
function serveWebSockets(server: Server, yoga: Yoga, services: Services) {
  const { config, metrics, logger } = services;
  const limits = createWebSocketLimits(services.limits, config);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES });
  wss.on("connection", (socket) => {
    metrics.websockets.inc();
    socket.once("close", () => metrics.websockets.dec());
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (config.role === "worker" || path !== GRAPHQL_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  const disposable = useServer<Record<string, unknown>, { currentUser?: CurrentUser }>(
    {
      // A bad or missing token closes the socket with 4403 Forbidden; a user over MAX_SOCKETS_PER_USER gets 4429.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = (params.authorization ?? params.Authorization) as string | undefined;
        try {
          const user = await resolveUser(services, header);
          if (!user) return false;
          ctx.extra.currentUser = user;
          return await limits.admit(ctx, user.id);
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as { execute: typeof graphqlExecute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof graphqlSubscribe }).subscribe(args),
      onSubscribe: async (ctx, id, params) => {
        // The same plugins, context and masking as over HTTP.
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        // A refused operation (syntax, limits) is answered with its errors; the socket and its other operations go on.
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (err) {
          if (err instanceof GraphQLError) return [boundMessage(err)];
          throw err;
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const refused = limits.startOperation(ctx, id, document, params.operationName);
        if (refused) return [refused];
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onClose: (ctx) => limits.closed(ctx),
    },
    wss,
  );
  // ws has already closed a socket that errs (1009 for a message over maxPayload, 1002 for a
  // protocol error); graphql-ws would print each to the console as an internal error.
  wss.on("connection", (socket) => {
    socket.removeAllListeners("error");
    socket.on("error", (err) => logger.info({ reason: err.message }, "closed a websocket that broke the protocol or its limits"));
  });
  return {
    async dispose() {
      // graphql-ws's own dispose closes with 1001 Going Away, which browsers also send when a page is left.
      for (const socket of wss.clients) socket.close(SHUTDOWN_CLOSE_CODE, "Service restart");
      await disposable.dispose();
    },
  };
}

/** Listens, fixes the public base URL from the port, starts the worker and says where the API is. */
async function listen(server: Server, services: Services, poller: Poller | null): Promise<{ port: number; url: string }> {
  const { config, logger } = services;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const publicGraphQL = `${services.publicBaseUrl.listening(port)}${GRAPHQL_PATH}`;
  poller?.start();
  logger.info(
    {
      port, // the role is on every line already (the logger's base)
      database: services.database.kind,
      pubsub: PUBSUB_KIND[redisTarget(config)?.kind ?? "none"],
      // GraphiQL is what yoga answers a browser at the GraphQL path.
      ...(config.role === "worker" ? {} : { graphql: publicGraphQL, ...(config.graphiql ? { graphiql: publicGraphQL } : {}) }),
    },
    "reelay is listening",
  );
  return { port, url: `${httpOrigin(config.host, port)}${GRAPHQL_PATH}` };
}

/**
 * Stops taking connections; idle keep-alive ones close now, busy ones may finish.
 * Returns a wait for the last of them, closing each as soon as it falls idle.
 */
function stopAccepting(server: Server): () => Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return async () => {
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    try {
      server.closeIdleConnections();
      await closed;
    } finally {
      clearInterval(sweep);
    }
  };
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
