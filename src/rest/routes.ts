/**
 * The REST API's route table, and the one dispatcher that authenticates, validates and
 * counts every request by it. The OpenAPI document is built from this same table.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type CurrentUser, resolveUser, type Services } from "../context.js";
import { ErrorCode, ReelayError } from "../errors.js";
import type { MediaProxy } from "../http/media.js";
import { createMediaProxy } from "../http/media-proxy.js";
import {
  ModelList,
  Model as ModelSchema,
  NewApiCreateBody,
  NewApiTask,
  NewApiTaskCreated,
  Video,
  VideoContentQuery,
  VideoCreateForm,
  VideoCreateJson,
  VideoDeleted,
  VideoList,
  VideoListQuery,
  VideoRemixBody,
} from "./definitions.js";
import { DOCS_ASSET_NAMES, DOCS_PAGE_PATH, OPENAPI_PATH, serveDocsAsset, serveDocsPage } from "./docs-page.js";
import { RestRequestError, restErrorOf, sendRestError } from "./errors.js";
import { createGenerationOp, NEW_API_FIELD_NAMES, retrieveGenerationOp } from "./new-api.js";
import {
  createVideoOp,
  deleteVideoOp,
  idempotencyKeyOf,
  listModelsOp,
  listVideosOp,
  OPENAI_FIELD_NAMES,
  remixVideoOp,
  retrieveModelOp,
  retrieveVideoOp,
  videoContentOp,
} from "./openai-videos.js";
import { buildOpenApiDocument } from "./openapi.js";
import { readBody } from "./request-body.js";
import { defineRoute, type JsonAnswer, type RestRoute } from "./route.js";

const IDEMPOTENCY_HEADER = {
  name: "Idempotency-Key",
  description: "The same key from the same user answers the task it made the first time, instead of creating (and charging) another.",
};
/** the statuses every operation on a caller's video may answer */
const VIDEO_ERRORS = [400, 401, 403, 404];
const CREATE_ERRORS = [400, 401, 402, 403, 409, 413, 429, 502, 503];

export const REST_ROUTES: readonly RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/v1/videos",
    operationId: "createVideo",
    summary: "Create a video",
    description: "JSON, or multipart/form-data with the reference image as the file input_reference. The price is held until the job ends.",
    tag: "Videos",
    auth: true,
    mutation: true,
    body: { json: VideoCreateJson, form: VideoCreateForm, image: true },
    headers: [IDEMPOTENCY_HEADER],
    fieldNames: OPENAI_FIELD_NAMES,
    success: { status: 200, description: "The new job", schema: Video },
    errors: CREATE_ERRORS,
    handle: ({ services, user, body, req }) => createVideoOp(services, user, body, idempotencyKeyOf(req.headers)),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/videos",
    operationId: "listVideos",
    summary: "List the caller's videos",
    tag: "Videos",
    auth: true,
    query: VideoListQuery,
    success: { status: 200, description: "One page, newest first unless order=asc", schema: VideoList },
    errors: [400, 401, 403],
    handle: ({ services, user, query }) => listVideosOp(services, user, query),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/videos/{video_id}",
    operationId: "retrieveVideo",
    summary: "Retrieve a video",
    tag: "Videos",
    auth: true,
    success: { status: 200, description: "The job as it is now", schema: Video },
    errors: VIDEO_ERRORS,
    handle: ({ services, user, params }) => retrieveVideoOp(services, user, params.video_id),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/videos/{video_id}/content",
    operationId: "downloadVideoContent",
    summary: "Download a completed video or its thumbnail",
    description: "Answers Range requests (206) and If-None-Match (304).",
    tag: "Videos",
    auth: true,
    query: VideoContentQuery,
    success: { status: 200, description: "The bytes (206 for a range)", contentType: "application/octet-stream" },
    errors: [...VIDEO_ERRORS, 409],
    handle: ({ services, user, params, query, mediaProxy, req, res }) =>
      videoContentOp(services, { user, rawId: params.video_id, variant: query.variant, proxy: mediaProxy, req, res }),
  }),
  defineRoute({
    method: "POST",
    path: "/v1/videos/{video_id}/remix",
    operationId: "remixVideo",
    summary: "Remix a completed video",
    tag: "Videos",
    auth: true,
    mutation: true,
    body: { json: VideoRemixBody, form: VideoRemixBody },
    headers: [IDEMPOTENCY_HEADER],
    success: { status: 200, description: "The new job, remixed_from_video_id set", schema: Video },
    errors: [...CREATE_ERRORS, 404],
    fieldNames: OPENAI_FIELD_NAMES,
    handle: ({ services, user, params, body, req }) =>
      remixVideoOp(services, user, { rawId: params.video_id, body, idempotencyKey: idempotencyKeyOf(req.headers) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/v1/videos/{video_id}",
    operationId: "deleteVideo",
    summary: "Delete a video",
    description:
      "A running job is cancelled and its hold released; a finished one has its stored media deleted. The job's record and its ledger entries stay.",
    tag: "Videos",
    auth: true,
    mutation: true,
    success: { status: 200, description: "Deleted", schema: VideoDeleted },
    errors: [...VIDEO_ERRORS, 409, 429],
    handle: ({ services, user, params }) => deleteVideoOp(services, user, params.video_id),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/models",
    operationId: "listModels",
    summary: "List the models an enabled channel serves",
    tag: "Models",
    auth: true,
    success: { status: 200, description: "The models", schema: ModelList },
    errors: [401, 403],
    handle: ({ services }) => listModelsOp(services),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/models/{model}",
    operationId: "retrieveModel",
    summary: "Retrieve a model",
    tag: "Models",
    auth: true,
    success: { status: 200, description: "The model", schema: ModelSchema },
    errors: [401, 403, 404],
    handle: ({ services, params }) => retrieveModelOp(services, params.model),
  }),
  defineRoute({
    method: "POST",
    path: "/v1/video/generations",
    operationId: "createVideoGeneration",
    summary: "Create a video (new-api)",
    tag: "new-api",
    auth: true,
    mutation: true,
    body: { json: NewApiCreateBody, image: true },
    headers: [IDEMPOTENCY_HEADER],
    fieldNames: NEW_API_FIELD_NAMES,
    success: { status: 200, description: "The task id and its status", schema: NewApiTaskCreated },
    errors: CREATE_ERRORS,
    handle: ({ services, user, body, req }) => createGenerationOp(services, user, body, idempotencyKeyOf(req.headers)),
  }),
  defineRoute({
    method: "GET",
    path: "/v1/video/generations/{task_id}",
    operationId: "retrieveVideoGeneration",
    summary: "Retrieve a video task (new-api)",
    description: "The content itself is also at GET /v1/videos/{task_id}/content.",
    tag: "new-api",
    auth: true,
    success: { status: 200, description: "The task", schema: NewApiTask },
    errors: VIDEO_ERRORS,
    handle: ({ services, user, params }) => retrieveGenerationOp(services, user, params.task_id),
  }),
  defineRoute({
    method: "GET",
    path: OPENAPI_PATH,
    operationId: "openApiDocument",
    summary: "This document",
    tag: "Documentation",
    auth: false,
    success: { status: 200, description: "OpenAPI 3.1", contentType: "application/json" },
    errors: [],
    handle: async () => ({ body: openApiDocument(), headers: { "cache-control": "no-cache" } }),
  }),
  defineRoute({
    method: "GET",
    path: DOCS_PAGE_PATH,
    operationId: "apiDocsPage",
    summary: "This document as a page (Swagger UI)",
    tag: "Documentation",
    auth: false,
    success: { status: 200, description: "HTML", contentType: "text/html" },
    errors: [],
    handle: async ({ res }) => void serveDocsPage(res),
  }),
  defineRoute({
    method: "GET",
    path: `${DOCS_PAGE_PATH}/{file}`,
    operationId: "apiDocsAsset",
    summary: "A script, style sheet or icon of the page",
    tag: "Documentation",
    auth: false,
    pathEnums: { file: DOCS_ASSET_NAMES },
    success: { status: 200, description: "The file", contentType: "application/octet-stream" },
    errors: [404],
    handle: async ({ res, params }) => void (await serveDocsAsset(res, params.file)),
  }),
];

let document: ReturnType<typeof buildOpenApiDocument> | null = null;
/** built once, on first request: the table does not change while the process runs */
const openApiDocument = () => (document ??= buildOpenApiDocument(REST_ROUTES));

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A path template as a pattern: each {name} one path segment, everything else literal. */
const patternOf = (template: string) =>
  new RegExp(
    `^${template
      .split(/\{\w+\}/)
      .map(escapeRegExp)
      .join("([^/]+)")}$`,
  );

const COMPILED: CompiledRoute[] = REST_ROUTES.map((route) => ({
  route,
  pattern: patternOf(route.path),
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name),
}));

/** Whether a path belongs to the REST API (every other path is GraphQL's). */
export const isRestPath = (pathname: string): boolean =>
  pathname.startsWith("/v1/") || pathname === OPENAPI_PATH || pathname === DOCS_PAGE_PATH || pathname.startsWith(`${DOCS_PAGE_PATH}/`);

/** The route and its path parameters; 404 for a path no route has, 405 for a method its routes do not take. */
function matchRoute(method: string | undefined, pathname: string): { route: RestRoute; params: Record<string, string> } {
  const candidates = COMPILED.flatMap((compiled) => {
    const match = compiled.pattern.exec(pathname);
    return match ? [{ compiled, values: match.slice(1) }] : [];
  });
  const found = candidates.find(({ compiled }) => compiled.route.method === method);
  if (!found) {
    if (candidates.length === 0) throw new RestRequestError(404, `Unknown request URL: ${method} ${pathname.slice(0, 200)}`, "unknown_url");
    const allow = candidates.map(({ compiled }) => compiled.route.method).join(", ");
    throw new RestRequestError(405, `Method ${method} is not allowed here; use ${allow}`, "method_not_allowed", { allow });
  }
  const params: Record<string, string> = {};
  for (const [index, name] of found.compiled.names.entries()) {
    try {
      params[name] = decodeURIComponent(found.values[index]);
    } catch {
      throw new RestRequestError(404, "Malformed percent-encoding in the URL", "unknown_url");
    }
  }
  const allowed = found.compiled.route.pathEnums;
  for (const [name, values] of Object.entries(allowed ?? {})) {
    if (!values.includes(params[name]))
      throw new RestRequestError(404, `Unknown request URL: ${method} ${pathname.slice(0, 200)}`, "unknown_url");
  }
  return { route: found.compiled.route, params };
}

async function authenticate(services: Services, req: IncomingMessage): Promise<CurrentUser> {
  const user = await resolveUser(services, req.headers.authorization);
  if (!user) {
    throw new ReelayError(
      ErrorCode.UNAUTHENTICATED,
      "You didn't provide an API key. Send it as a bearer token: Authorization: Bearer sk-rl-…",
    );
  }
  return user;
}

function sendJson(res: ServerResponse, answer: JsonAnswer) {
  res
    .writeHead(answer.status ?? 200, { "content-type": "application/json", "cache-control": "no-store", ...answer.headers })
    .end(JSON.stringify(answer.body));
}

/**
 * Answers one REST request: the route, then the caller, the query, the body (bounded, then
 * validated), the shared per-user mutation limit, and the handler. Every refusal is in
 * OpenAI's error format.
 */
async function dispatch(services: Services, mediaProxy: MediaProxy, req: IncomingMessage, res: ServerResponse, url: URL) {
  const { route, params } = matchRoute(req.method, url.pathname);
  const user = route.auth ? await authenticate(services, req) : null;
  const query = route.query?.parse(Object.fromEntries(url.searchParams));
  let body: unknown;
  if (route.body) {
    const { value, multipart } = await readBody(req, services.config, { form: Boolean(route.body.form), image: Boolean(route.body.image) });
    body = (multipart && route.body.form ? route.body.form : route.body.json)!.parse(value);
  }
  // Admins are not counted, as over GraphQL: their mutations are operators' actions.
  if (route.mutation && user && user.role !== "ADMIN") {
    const refusal = await services.limits.countMutations(user.id, 1);
    if (refusal) throw refusal;
  }
  const answer = await route.handle({ services, req, res, user: user as CurrentUser, params, query, body, mediaProxy } as Parameters<
    RestRoute["handle"]
  >[0]);
  if (answer) sendJson(res, answer);
}

/** The REST API of one instance: call it for every request whose path isRestPath. */
export function createRestHandler(services: Services): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const mediaProxy = createMediaProxy(services);
  return async (req, res, url) => {
    try {
      await dispatch(services, mediaProxy, req, res, url);
    } catch (err) {
      const route = COMPILED.find((c) => c.route.method === req.method && c.pattern.test(url.pathname))?.route;
      sendRestError(res, restErrorOf(err, services.logger, route?.fieldNames));
    }
  };
}
