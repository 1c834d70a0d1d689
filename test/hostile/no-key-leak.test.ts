/**
 * A channel's key never leaves Reelay: not in a log line, a GraphQL answer (user's or admin's,
 * over HTTP or WebSocket), /metrics, or any cell of the database. One full run on an OpenAI
 * Videos channel and a Kling channel with canary keys: tasks that complete, a remix, a cancel,
 * failures whose upstream error messages echo the Authorization header or the key, the admin's
 * channel list, and the queries users and admins page through. Then every sink is searched.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import type { GraphQLResponse } from "../helpers/app.js";
import { CREATE_VIDEO, type GraphQLTarget, TASK_FIELDS, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";
import { useMock, useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { openAIError, type RecordedRequest } from "../mocks/openai-videos.js";

const canary = (prefix: string) => `${prefix}-canary-${randomBytes(12).toString("hex")}`;
const OPENAI_KEY = canary("sk");
const KLING_ACCESS_KEY = canary("ak");
const KLING_SECRET_KEY = canary("ks");
/** Each secret a channel was given; Kling's key is ACCESS:SECRET, and neither half may show. */
const SECRETS = {
  "the OpenAI channel's key": OPENAI_KEY,
  "the Kling channel's access key": KLING_ACCESS_KEY,
  "the Kling channel's secret key": KLING_SECRET_KEY,
};

/** The secrets found in `text`, by name: what a sink must never hold. */
const secretsIn = (text: string) => Object.entries(SECRETS).flatMap(([name, secret]) => (text.includes(secret) ? [name] : []));

const CREATE_PATH = /^\/v1\/videos$/;
const POLL_PATH = /^\/v1\/videos\/video_[^/]+$/;
/** An upstream error that repeats the Authorization header it was sent, as some gateways do. */
const echoingAuthorization = (status: number) => ({
  status,
  bodyFor: (request: RecordedRequest) =>
    openAIError(`Incorrect API key provided: ${request.headers.authorization}`, "invalid_request_error", "invalid_api_key"),
});

const logLines: string[] = [];
const logger = pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) });

const kling = useMock("kling", { accessKey: KLING_ACCESS_KEY, secretKey: KLING_SECRET_KEY });
const t = useTestApp({
  mock: "openai",
  mockOptions: {
    apiKey: OPENAI_KEY,
    scripts: {
      "[hold]": { queuedPolls: 10_000 },
      "[key in failure]": {
        outcome: "failed",
        failure: { code: "internal_error", message: `Generation failed for API key ${OPENAI_KEY}` },
      },
    },
  },
  logger,
});
const { mock } = t;

/** Every GraphQL answer of the run, as its JSON text. */
const answers: string[] = [];
/** Every message the user's task subscription received. */
let subscriptionMessages: unknown[] = [];
/** the root query fields read with every field below them */
let rootFieldsRead: string[] = [];
let metricsText = "";
/** every row of the database after the run */
let databaseRows: { table: string; row: string }[] = [];
const finished: Record<string, { status: string; error: { code: string; message: string } | null }> = {};

/** The fixture's GraphQL, with every answer kept. */
function recording(target: GraphQLTarget): GraphQLTarget {
  return {
    adminToken: target.adminToken,
    async gql<T>(query: string, variables?: Record<string, unknown>, options?: { token?: string | null }) {
      const res: GraphQLResponse<T> = await target.gql<T>(query, variables, options);
      answers.push(JSON.stringify(res));
      return res;
    },
  };
}

/** A type as introspection describes it: enough to select every field that takes no required argument. */
interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface IntrospectedType {
  name: string;
  kind: string;
  fields: { name: string; type: TypeRef; args: { type: TypeRef; defaultValue: string | null }[] }[] | null;
}
const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
const SCHEMA = /* GraphQL */ `{ __schema { queryType { name } types { name kind
  fields { name type { ${TYPE_REF} } args { defaultValue type { ${TYPE_REF} } } } } } }`;
/** how deep object fields are followed (a task's remixedFrom is a task) */
const SELECTION_DEPTH = 3;

type IntrospectedField = NonNullable<IntrospectedType["fields"]>[number];

const namedType = (ref: TypeRef): string => (ref.ofType ? namedType(ref.ofType) : ref.name!);

/** `field` with every field below it that takes no required argument, objects followed `depth` levels; null when none. */
function fieldSelection(types: Map<string, IntrospectedType>, field: IntrospectedField, depth: number): string | null {
  if (field.args.some((arg) => arg.type.kind === "NON_NULL" && arg.defaultValue === null)) return null;
  const type = types.get(namedType(field.type))!;
  if (type.kind === "SCALAR" || type.kind === "ENUM") return field.name;
  if (depth === 0 || !type.fields) return null;
  const inner = type.fields.flatMap((f) => fieldSelection(types, f, depth - 1) ?? []);
  return inner.length ? `${field.name} { ${inner.join(" ")} }` : null;
}

/**
 * Every root query field that needs no argument (so fields added later, such as an audit log
 * or a ledger, are read too), with every field below it, one query each, as each of `tokens`.
 * Returns the root fields read.
 */
async function readEveryRootField(gql: GraphQLTarget, tokens: string[]): Promise<string[]> {
  const res = await t.gql<{ __schema: { queryType: { name: string }; types: IntrospectedType[] } }>(SCHEMA, {}, { token: tokens[0] });
  const { queryType, types } = res.data!.__schema;
  const byName = new Map(types.map((type) => [type.name, type]));
  const roots = byName.get(queryType.name)!.fields!.flatMap((field) => fieldSelection(byName, field, SELECTION_DEPTH) ?? []);
  for (const root of roots) {
    const [first, ...others] = tokens;
    const answer = await gql.gql(`{ ${root} }`, {}, { token: first });
    expect(answer.errors, `${root.split(" ")[0]} as the first caller`).toBeUndefined();
    for (const token of others) await gql.gql(`{ ${root} }`, {}, { token });
  }
  return roots.map((root) => root.split(" ")[0]);
}

const CHANNEL_FIELDS = /* GraphQL */ `id name provider baseUrl models enabled priority weight maxConcurrency apiKeyHint runningTasks
  health { state consecutiveFailures lastError lastErrorAt openUntil }`;

/** The full run: every kind of task on both channels, every query over them, then the sinks read. */
async function fullRun() {
  const gql = recording(t);
  const token = await tokenFor("owner@no-key-leak");
  await upsertChannel(gql, { name: "canary-openai", baseUrl: mock.baseUrl, apiKey: OPENAI_KEY, models: ["sora-2"] });
  await upsertChannel(gql, {
    name: "canary-kling",
    provider: "kling",
    baseUrl: kling.baseUrl,
    apiKey: `${KLING_ACCESS_KEY}:${KLING_SECRET_KEY}`,
    models: ["kling-v2-5-turbo"],
  });
  await gql.gql(
    `mutation { grantCredit(subject: "owner@no-key-leak", amount: "50", note: "canary run") { id balance held } }`,
    {},
    { token: t.adminToken },
  );

  const watcher = wsClient(t.wsUrl, token);
  const watching = new Collector(watcher, `subscription { taskProgress { ${TASK_FIELDS} } }`);
  await runEveryKindOfTask(gql, token);
  await readEverythingBack(gql, token);
  watching.dispose();
  await watcher.dispose();
  subscriptionMessages = watching.results;

  // Every task is settled before the database is read, so nothing is still being written.
  await until("every hold is settled or released", async () => (await t.gql(`{ me { held } }`, {}, { token })).data?.me.held === "0");
  metricsText = await (await fetch(`${t.origin}/metrics`)).text();
  databaseRows = await dumpDatabase(t.database.url);
}

/** Tasks that complete, are remixed, cancelled, and fail with upstream errors that echo the key, on both channels. */
async function runEveryKindOfTask(gql: GraphQLTarget, token: string) {
  const settle = async (name: string, id: string) => {
    finished[name] = await waitForTask(gql, token, id, (x) => ["COMPLETED", "FAILED", "CANCELLED"].includes(x.status));
    return id;
  };
  const create = async (name: string, input: Record<string, unknown>) => {
    const res = await gql.gql(CREATE_VIDEO, { input: { model: "sora-2", seconds: 4, ...input } }, { token });
    expect(res.errors, name).toBeUndefined();
    return res.data!.createVideo.id as string;
  };
  const run = async (name: string, input: Record<string, unknown>) => settle(name, await create(name, input));

  const completed = await run("completed", { prompt: "a lighthouse at dusk" });
  // A poll answered with an error that repeats the Authorization header; the next poll succeeds.
  mock.failNext(1, { method: "GET", path: POLL_PATH }, echoingAuthorization(500));
  await run("polled through an echoing error", { prompt: "a heron" });
  const remix = await gql.gql(
    `mutation($input: RemixVideoInput!) { remixVideo(input: $input) { ${TASK_FIELDS} } }`,
    { input: { videoId: completed, prompt: "the lighthouse in snow" } },
    { token },
  );
  await settle("remix", remix.data!.remixVideo.id);
  const held = await create("cancelled", { prompt: "[hold] a long take" });
  await gql.gql(`mutation($id: ID!) { cancelTask(id: $id) { ${TASK_FIELDS} } }`, { id: held }, { token });
  await settle("cancelled", held);
  await run("failed with the key in its message", { prompt: "[key in failure] fog" });
  mock.failNext(1, { method: "POST", path: CREATE_PATH }, echoingAuthorization(400));
  await run("refused echoing the header", { prompt: "a refused request" });
  mock.failNext(1, { method: "POST", path: CREATE_PATH }, echoingAuthorization(401));
  await run("refused for its key", { prompt: "a request with a bad key" });

  const onKling = { model: "kling-v2-5-turbo", seconds: 5, channel: "canary-kling" };
  await run("kling", { ...onKling, prompt: "a paper crane" });
  const klingError = (status: number, code: number, message: string) => ({ status, body: { code, message, request_id: "r" } });
  kling.failNext(
    1,
    { method: "GET", path: "/v1/videos/text2video/" },
    klingError(500, 5000, `Server error for access key ${KLING_ACCESS_KEY}`),
  );
  await run("kling polled through an echoing error", { ...onKling, prompt: "a kite" });
  kling.failNext(
    1,
    { method: "POST", path: "/v1/videos/text2video" },
    klingError(401, 1002, `Authorization is invalid for ${KLING_ACCESS_KEY}:${KLING_SECRET_KEY}`),
  );
  await run("kling refused for its key", { ...onKling, prompt: "a refused crane" });
}

/** What the user and the admin read back: the tasks one by one and together, every root query field, a channel's health. */
async function readEverythingBack(gql: GraphQLTarget, token: string) {
  const tasks = await gql.gql<{ tasks: { edges: { node: { id: string } }[] } }>(
    `{ tasks(first: 50) { totalCount edges { cursor node { ${TASK_FIELDS} mediaStatus } } } }`,
    {},
    { token },
  );
  const ids = tasks.data!.tasks.edges.map((e) => e.node.id);
  await gql.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on VideoTask { ${TASK_FIELDS} } } }`, { ids }, { token });
  for (const id of ids) await gql.gql(`query($id: ID!) { videoTask(id: $id) { ${TASK_FIELDS} } }`, { id }, { token });
  rootFieldsRead = await readEveryRootField(gql, [t.adminToken, token]);
  await gql.gql(`mutation { resetChannelHealth(name: "canary-openai") { ${CHANNEL_FIELDS} } }`, {}, { token: t.adminToken });
}

/** Every row of every table outside PostgreSQL's own schemas, as JSON text, with its table's name. */
async function dumpDatabase(url: string): Promise<{ table: string; row: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const dump: { table: string; row: string }[] = [];
    for (const { schema, name } of tables) {
      const table = `"${schema}"."${name}"`;
      const { rows } = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${table} t`);
      dump.push(...rows.map(({ row }) => ({ table, row })));
    }
    return dump;
  } finally {
    await client.end();
  }
}

describe("a channel's key", () => {
  beforeAll(fullRun, 120_000);

  it("was really used: the providers received it, and the run reached every ending it means to", () => {
    expect(mock.requests.some((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    expect(kling.requests.some((r) => r.issuer === KLING_ACCESS_KEY)).toBe(true);
    expect(Object.fromEntries(Object.entries(finished).map(([name, task]) => [name, task.status]))).toEqual({
      completed: "COMPLETED",
      "polled through an echoing error": "COMPLETED",
      remix: "COMPLETED",
      cancelled: "CANCELLED",
      "failed with the key in its message": "FAILED",
      "refused echoing the header": "FAILED",
      "refused for its key": "FAILED",
      kling: "COMPLETED",
      "kling polled through an echoing error": "COMPLETED",
      "kling refused for its key": "FAILED",
    });
    // The echoing errors were served: users read Reelay's words, admins the provider's (tasks.upstreamError), without the key.
    for (const name of ["refused echoing the header", "failed with the key in its message", "kling refused for its key"]) {
      expect(finished[name].error?.message).toMatch(/^The (provider|channel) /);
      expect(finished[name].error?.message).not.toMatch(/API key|Authorization/);
    }
    const upstreamErrors = databaseRows
      .filter((r) => r.table === '"public"."tasks"')
      .map((r) => (JSON.parse(r.row) as { upstreamError: string | null }).upstreamError);
    expect(upstreamErrors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Incorrect API key provided: Bearer \S/),
        expect.stringMatching(/Generation failed for API key \S/),
        expect.stringMatching(/Authorization is invalid for \S/),
      ]),
    );
    expect(rootFieldsRead).toEqual(expect.arrayContaining(["channels", "tasks", "me", "mediaBacklog", "stats", "prices"]));
    expect(logLines.filter((line) => line.includes('"poll failed; backing off"'))).toHaveLength(2);
    expect(logLines.some((line) => line.includes('"task settled"'))).toBe(true);
    expect(databaseRows.filter((r) => r.table === '"public"."tasks"')).toHaveLength(Object.keys(finished).length);
  });

  it("appears in no log line", () => {
    const leaks = logLines.flatMap((line) => secretsIn(line).map((secret) => `${secret}: ${line.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });

  it("appears in no GraphQL answer, the user's or the admin's, over HTTP or WebSocket", () => {
    expect(answers.length).toBeGreaterThan(20);
    expect(subscriptionMessages.length).toBeGreaterThan(0);
    const leaks = [...answers, ...subscriptionMessages.map((m) => JSON.stringify(m))].flatMap((answer) =>
      secretsIn(answer).map((secret) => `${secret}: ${answer.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);
  });

  it("appears nowhere in /metrics", () => {
    expect(metricsText).toContain("reelay_tasks");
    expect(secretsIn(metricsText)).toEqual([]);
  });

  it("appears in no cell of the database", () => {
    const leaks = databaseRows.flatMap(({ table, row }) => secretsIn(row).map((secret) => `${secret} in ${table}: ${row.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });
});
