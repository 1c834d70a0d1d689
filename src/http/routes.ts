import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { redisConfigured } from "../config.js";
import type { Services } from "../context.js";
import { refuseAnonymousOverLimit } from "../rate-limits/anonymous-requests.js";
import { createRestHandler, isRestPath } from "../rest/routes.js";
import { CALLBACK_PATH_PREFIX } from "./callback-urls.js";
import { serveProviderCallback } from "./callbacks.js";
import { createConsole } from "./console.js";
import { setGraphiQLHeaders, wantsGraphiQL } from "./graphiql.js";
import { MEDIA_PATH_PREFIX, serveMedia } from "./media.js";
import { createMediaProxy } from "./media-proxy.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

const requestScope = new AsyncLocalStorage<{ requestId: string }>();
const PROBE_PATHS = new Set(["/health", "/ready", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request being handled, for every line logged meanwhile, whatever code logs it. */
export const currentRequestFields = (): object => requestScope.getStore() ?? {};

/**
 * The plain HTTP routes: probes (/health, /ready), /metrics, signed /media and providers' callbacks; within the
 * limit of requests without credentials, the REST API (/v1/…, /openapi.json, /docs/api) and
 * everything else to `graphql`. Each request
 * gets an id (the caller's X-Request-Id when sane), echoed in the response and carried by
 * its log lines.
 */
export function createRequestHandler(services: Services, graphql: RequestHandler): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger, metrics } = services;
  const mediaProxy = createMediaProxy(services);
  const metricsAllowed = createBearerCheck(config.metricsToken);
  const rest = createRestHandler(services);
  // a worker serves no console, so it does not read the build either
  const serveConsole = config.role === "worker" ? () => false : createConsole({ config });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") return json(res, 200, { status: "ok" });
    if (url.pathname === "/ready") {
      const [database, redis] = [await services.database.ping(), redisConfigured(config) ? services.pubsub.healthy() : null];
      const ready = database && redis !== false;
      return json(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable", database, ...(redis === null ? {} : { redis }) });
    }
    if (url.pathname === "/metrics") {
      if (!metricsAllowed(req.headers.authorization)) {
        res.writeHead(401, { "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" }).end();
        return;
      }
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(body);
      return;
    }
    // A worker only polls; it answers the probes and metrics above and nothing else.
    if (config.role === "worker") return json(res, 404, { error: "this instance runs with ROLE=worker and serves no API" });
    if (url.pathname.startsWith(MEDIA_PATH_PREFIX)) return serveMedia(req, res, url, services.storage, services.signer, mediaProxy);
    // Providers call back without credentials; the URL's token is checked before anything else.
    if (url.pathname.startsWith(CALLBACK_PATH_PREFIX)) return serveProviderCallback(services, req, res, url);
    // the console's static files before the limit on anonymous requests: loading the page should not use up sign-in attempts
    if (serveConsole(req, res, url)) return;
    if (await refuseAnonymousOverLimit(services, req, res)) return;
    if (isRestPath(url.pathname)) return rest(req, res, url);
    if (config.graphiql && wantsGraphiQL(req)) setGraphiQLHeaders(res);
    return graphql(req, res);
  }

  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader("x-request-id", requestId);
    // On Node 20 the first AsyncLocalStorage.run() turns on promise hooks for the whole
    // process, which costs every promise from then on; probes log nothing, so a worker that
    // only answers probes and scrapes never pays for request scopes.
    const handled = PROBE_PATHS.has((req.url ?? "").split("?", 1)[0])
      ? handle(req, res)
      : requestScope.run({ requestId }, () => handle(req, res));
    void handled.catch((err) => {
      logger.error({ err }, "request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

/**
 * Whether an Authorization header carries `Bearer <expected>`; always true when nothing is
 * expected. Compared as digests in constant time, so timing reveals nothing of the token.
 */
function createBearerCheck(expected: string | null): (header: string | undefined) => boolean {
  if (expected === null) return () => true;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  const wanted = digest(expected);
  return (header) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
    return given !== undefined && timingSafeEqual(digest(given), wanted);
  };
}

/** The caller's X-Request-Id when it is a sane token (a proxy's, say), else a fresh one. */
function requestIdOf(req: IncomingMessage) {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}
