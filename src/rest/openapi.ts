/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and the zod
 * schemas that validate its requests, so it cannot drift from what is enforced.
 */
import { z } from "zod";
import { ErrorBody } from "./definitions.js";
import type { RestRoute } from "./route.js";

type JsonSchema = Record<string, unknown>;
type Document = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const COMPONENT_REF = "#/components/schemas/";
const SECURITY_SCHEME = "bearerAuth";

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request: `param` names the field at fault",
  401: "No valid API key or token",
  402: "The balance does not cover the task (type insufficient_quota)",
  403: "The user is disabled",
  404: "No such video of the caller (another user's videos are not found either)",
  409: "The video is not in a state that allows this",
  413: "The body, or its reference image, is larger than the limit",
  429: "Over RATE_LIMIT_PER_MINUTE or MAX_ACTIVE_TASKS_PER_USER; wait retry-after seconds",
  500: "Unexpected failure (masked)",
  502: "Every channel for the model is failing",
  503: "No enabled channel serves the model",
};

/** Collects component schemas; each id names one schema, in whichever direction it is used. */
function createComponents() {
  const schemas: Record<string, JsonSchema> = {};
  /** `schema` as JSON Schema, its named parts moved to the components and referenced from there */
  function convert(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const converted = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = JSON.parse(JSON.stringify(converted).replaceAll('"#/$defs/', `"${COMPONENT_REF}`));
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const known = schemas[id];
      if (known && JSON.stringify(known) !== JSON.stringify(definition)) {
        throw new Error(`OpenAPI: the schema id ${id} names two different schemas (is it used as both request and response?)`);
      }
      schemas[id] = definition;
    }
    return root;
  }
  return { schemas, convert };
}

/** The path and query parameters, and the headers the operation reads. */
function parametersOf(route: RestRoute, convert: ReturnType<typeof createComponents>["convert"]) {
  const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: route.pathEnums?.[name] ? { type: "string", enum: [...route.pathEnums[name]] } : { type: "string" },
  }));
  const inQuery = Object.entries(route.query?.shape ?? {}).map(([name, field]) => {
    const { description, ...schema } = convert(field as z.ZodType, "input");
    return { name, in: "query", required: !(field as z.ZodType).safeParse(undefined).success, description, schema };
  });
  const inHeaders = (route.headers ?? []).map(({ name, description }) => ({ name, in: "header", description, schema: { type: "string" } }));
  return [...inPath, ...inQuery, ...inHeaders];
}

function requestBodyOf(route: RestRoute, convert: ReturnType<typeof createComponents>["convert"]) {
  if (!route.body) return undefined;
  const content: Record<string, { schema: JsonSchema }> = { "application/json": { schema: convert(route.body.json!, "input") } };
  if (route.body.form) content["multipart/form-data"] = { schema: convert(route.body.form, "input") };
  return { required: true, content };
}

function responsesOf(route: RestRoute, convert: ReturnType<typeof createComponents>["convert"]) {
  const { success } = route;
  const body = success.schema
    ? { "application/json": { schema: convert(success.schema, "output") } }
    : { [success.contentType ?? "application/octet-stream"]: { schema: { type: "string" } } };
  const responses: Record<string, unknown> = { [success.status]: { description: success.description, content: body } };
  const errorSchema = convert(ErrorBody, "output");
  for (const status of [...route.errors, 500]) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? "Error",
      content: { "application/json": { schema: errorSchema } },
      ...(status === 429 ? { headers: { "retry-after": { description: "seconds to wait", schema: { type: "integer" } } } } : {}),
    };
  }
  return responses;
}

/** The whole document for `routes`: one operation per route, every schema under components. */
export function buildOpenApiDocument(routes: readonly RestRoute[]): Document {
  const { schemas, convert } = createComponents();
  const paths: Document["paths"] = {};
  for (const route of routes) {
    const parameters = parametersOf(route, convert);
    const requestBody = requestBodyOf(route, convert);
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: route.auth ? [{ [SECURITY_SCHEME]: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: responsesOf(route, convert),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Reelay REST API",
      version: "1",
      description:
        "The OpenAI Videos protocol and new-api's video routes over Reelay's tasks. Authenticate with a personal API key (sk-rl-…) or a JWT as a bearer token.",
      license: { name: "MIT", identifier: "MIT" },
    },
    paths,
    components: {
      schemas,
      securitySchemes: { [SECURITY_SCHEME]: { type: "http", scheme: "bearer", description: "A personal API key (sk-rl-…) or a JWT" } },
    },
  };
}
