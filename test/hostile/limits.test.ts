// Requests built to exhaust the server: big bodies and frames, deep, wide and costly
// operations, long id lists, and inputs whose errors would echo megabytes.
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { expect } from "vitest";
import { MAX_ERROR_MESSAGE_LENGTH } from "../../src/errors.js";
import { QUERY_LIMITS } from "../../src/http/query-limits.js";
import { CSRF_HEADER, MAX_WEBSOCKET_MESSAGE_BYTES } from "../../src/server.js";
import {
  closeCodeAfterSending,
  graphql,
  type HostileCase,
  type HostileTarget,
  hostileSuite,
  type Outcome,
  openSocket,
  operate,
  post,
  postChunked,
  VICTIM,
} from "./harness.js";

/** the body limit of the default configuration: a 10 MiB reference image plus 1 MiB for the rest */
const MAX_BODY_BYTES = 11 * 1024 * 1024;
const MEGABYTE_STRING = "x".repeat(1024 * 1024);
const NODES = /* GraphQL */ `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
const taskIds = (count: number) => Array.from({ length: count }, () => encodeGlobalID("VideoTask", randomUUID()));

const asVictim =
  (query: string, variables: Record<string, unknown> = {}) =>
  async (target: HostileTarget) =>
    graphql(target, query, variables, { token: await target.token(VICTIM) });
const asAdmin =
  (query: string, variables: Record<string, unknown> = {}) =>
  (target: HostileTarget) =>
    graphql(target, query, variables, { token: target.adminToken });
const tooComplex = { code: "QUERY_TOO_COMPLEX" };
/** an error that quotes at most about 200 characters of what was sent */
const shortMessage = (outcome: Outcome) => expect(outcome.message?.length ?? 0).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH + 40);

/** A JSON body: a small query, then spaces (which JSON allows) for as long as the body goes on. */
function paddedQuery(): (offset: number, size: number) => Buffer {
  const head = Buffer.from(JSON.stringify({ query: "{ __typename }" }));
  return (offset, size) => {
    const chunk = Buffer.alloc(size, 0x20);
    if (offset < head.length) head.copy(chunk, 0, offset, Math.min(head.length, offset + size));
    return chunk;
  };
}

const deepQuery = `{ tasks { edges { node { ${"remixedFrom { ".repeat(9)}id${" }".repeat(9)} } } } }`;
const aliasedQuery = `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
const directiveQuery = `{ me { ${"id @include(if: true) ".repeat(QUERY_LIMITS.maxDirectives + 1)} } }`;
const manyTokensQuery = `{ me { ${"id ".repeat(QUERY_LIMITS.maxTokens)} } }`;
const TASK_FIELDS =
  "id status progress prompt model provider channel mediaType seconds size videoUrl thumbnailUrl cost createdAt updatedAt completedAt";
const costlyQuery = `{ tasks(first: 100) { edges { node { ${TASK_FIELDS} remixedFrom { ${TASK_FIELDS} } } } } }`;

const cases: HostileCase[] = [
  {
    name: "a body whose Content-Length is over the limit is refused with 413 PAYLOAD_TOO_LARGE",
    send: (t) => post(t, new Uint8Array(MAX_BODY_BYTES + 1).fill(0x20)),
    expect: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  },
  {
    name: "a chunked body (no Content-Length) is counted as it arrives and refused with 413 once over the limit",
    send: (t) => postChunked(t, MAX_BODY_BYTES + 2 * 1024 * 1024),
    expect: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  },
  {
    name: "a chunked body that never ends is refused with 413 all the same",
    send: (t) => postChunked(t, 1024 * 1024 * 1024, { chunkBytes: 256 * 1024 }),
    expect: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  },
  {
    name: "a chunked body within the limit is served (the count is of bytes, not of a header)",
    send: (t) => postChunked(t, 3 * 1024 * 1024, { fill: paddedQuery() }),
    expect: { status: 200, body: { data: { __typename: "Query" } } },
  },
  {
    name: "a chunked multipart request within the limit is parsed once whole",
    send: (t) => {
      const part = (name: string, value: string) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const body = Buffer.from(`${part("operations", JSON.stringify({ query: "{ __typename }" }))}${part("map", "{}")}--b--\r\n`);
      return postChunked(t, body.length, {
        chunkBytes: 16,
        fill: (offset, size) => body.subarray(offset, offset + size),
        headers: { "content-type": "multipart/form-data; boundary=b", [CSRF_HEADER]: "1" },
      });
    },
    expect: { status: 200, body: { data: { __typename: "Query" } } },
  },
  { name: "an operation nested deeper than the limit is refused with QUERY_TOO_COMPLEX", send: asVictim(deepQuery), expect: tooComplex },
  { name: "more aliases than the limit are refused with QUERY_TOO_COMPLEX", send: asVictim(aliasedQuery), expect: tooComplex },
  { name: "more directives than the limit are refused with QUERY_TOO_COMPLEX", send: asVictim(directiveQuery), expect: tooComplex },
  {
    name: "a document of more tokens than the limit is refused with QUERY_TOO_COMPLEX",
    send: asVictim(manyTokensQuery),
    expect: tooComplex,
    check: (outcome) => expect(outcome.message).toMatch(/Token limit/),
  },
  {
    name: "a document whose cost is over the limit (100 tasks with their remixes) is refused with QUERY_TOO_COMPLEX",
    send: asVictim(costlyQuery),
    expect: tooComplex,
    check: (outcome) => expect(outcome.message).toMatch(/Cost limit/),
  },
  {
    name: "nodes with 101 ids is refused with BAD_USER_INPUT",
    send: asVictim(NODES, { ids: taskIds(101) }),
    expect: { code: "BAD_USER_INPUT" },
    check: (outcome) => expect(outcome.message).toMatch(/at most 100 ids/),
  },
  {
    name: "nodes with 100 ids is served (none of them is the victim's)",
    send: asVictim(NODES, { ids: taskIds(100) }),
    expect: { status: 200 },
    check: (outcome) => expect((outcome.body as { data: { nodes: unknown[] } }).data.nodes).toEqual(Array(100).fill(null)),
  },
  {
    name: "nodes with 100 000 ids in variables is refused with QUERY_TOO_COMPLEX in seconds (it once held a request for minutes)",
    send: asVictim(NODES, { ids: taskIds(100_000) }),
    expect: tooComplex,
    // generous for a loaded machine: sending and parsing the 6 MB body is most of it
    check: (outcome) => expect(outcome.elapsedMs).toBeLessThan(5_000),
  },
  {
    name: "nodes with thousands of ids written into the document is refused with QUERY_TOO_COMPLEX",
    send: asVictim(
      `{ nodes(ids: [${taskIds(3_000)
        .map((id) => JSON.stringify(id))
        .join(",")}]) { id } }`,
    ),
    expect: tooComplex,
  },
  {
    name: "a list of 10 000 items in a variable the operation does not even declare counts toward the cost",
    send: asVictim(`{ __typename }`, { junk: Array(10_000).fill(0) }),
    expect: tooComplex,
  },
  {
    name: "nested lists in variables count all their items",
    send: asVictim(`{ __typename }`, { junk: { deeper: Array.from({ length: 100 }, () => Array(60).fill("x")) } }),
    expect: tooComplex,
  },
  {
    name: "a list nested 100 000 deep in a variable is refused without exhausting the stack",
    send: async (t) =>
      post(t, `{"query":"{ __typename }","variables":{"junk":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`, {
        authorization: `Bearer ${await t.token(VICTIM)}`,
      }),
    expect: tooComplex,
  },
  {
    name: "a channel with 6 000 models is refused with QUERY_TOO_COMPLEX and not created",
    send: asAdmin(`mutation($input: ChannelInput!) { upsertChannel(input: $input) { id } }`, {
      input: { name: "wide", provider: "openai", baseUrl: "https://gateway.example", apiKey: "k", models: Array(6_000).fill("sora-2") },
    }),
    expect: tooComplex,
    check: async (_outcome, target) => expect(await target.app.app.services.db.channel.count()).toBe(0),
  },
  {
    name: "a 1 MB string given for an Int variable is refused, quoting at most about 200 characters of it",
    send: asVictim(`query($first: Int) { tasks(first: $first) { totalCount } }`, { first: MEGABYTE_STRING }),
    expect: { status: 400 },
    check: shortMessage,
  },
  {
    name: "a 1 MB string literal given for an Int argument is refused, quoting at most about 200 characters of it",
    send: asVictim(`{ tasks(first: "${MEGABYTE_STRING}") { totalCount } }`),
    check: shortMessage,
    expect: {},
  },
  {
    name: "a 1 MB amount of money is refused with BAD_USER_INPUT, quoting at most about 200 characters of it, and grants nothing",
    send: asAdmin(`mutation($a: Money!) { grantCredit(subject: "${VICTIM}", amount: $a) { balance } }`, { a: MEGABYTE_STRING }),
    expect: {},
    check: shortMessage,
  },
  {
    name: "a 1 MB field name is refused, quoting at most about 200 characters of it",
    send: asVictim(`{ ${"f".repeat(1024 * 1024)} }`),
    expect: {},
    check: shortMessage,
  },
  {
    name: "a 1 MB operation name that matches nothing is refused, quoting at most about 200 characters of it",
    send: async (t) =>
      post(t, JSON.stringify({ query: "query A { __typename }", operationName: MEGABYTE_STRING }), {
        authorization: `Bearer ${await t.token(VICTIM)}`,
      }),
    expect: {},
    check: shortMessage,
  },
  {
    name: "a WebSocket message over 1 MiB before connection_init is refused by closing with 1009 (before any parse or auth)",
    send: (t) => closeCodeAfterSending(t.wsUrl, MAX_WEBSOCKET_MESSAGE_BYTES + 1, null),
    expect: { closeCode: 1009 },
  },
  {
    name: "a WebSocket message over 1 MiB after the ack is refused by closing with 1009",
    send: async (t) => closeCodeAfterSending(t.wsUrl, MAX_WEBSOCKET_MESSAGE_BYTES + 1, await t.token(VICTIM)),
    expect: { closeCode: 1009 },
  },
  {
    name: "a WebSocket message just under 1 MiB is read and answered",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      socket.ws.send(
        JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ __typename }", extensions: { pad: "x".repeat(1000 * 1000) } } }),
      );
      const answer = await socket.next("next", "1");
      socket.ws.close();
      return { body: answer };
    },
    expect: { body: { type: "next", payload: { data: { __typename: "Query" } } } },
  },
  {
    name: "over WebSocket, a too-deep operation is refused with QUERY_TOO_COMPLEX and the socket serves the next one",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      const refused = await operate(socket, "deep", deepQuery);
      const served = await operate(socket, "after", `{ me { subject } }`);
      socket.ws.close();
      return { body: { refused, served } };
    },
    expect: {
      body: {
        refused: { type: "error", payload: [{ extensions: { code: "QUERY_TOO_COMPLEX" } }] },
        served: { type: "next", payload: { data: { me: { subject: VICTIM } } } },
      },
    },
  },
  {
    name: "over WebSocket, a document of too many tokens is refused with QUERY_TOO_COMPLEX and the socket stays open",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      const refused = await operate(socket, "tokens", manyTokensQuery);
      const served = await operate(socket, "after", `{ __typename }`);
      socket.ws.close();
      return { body: { refused, served } };
    },
    expect: {
      body: {
        refused: { type: "error", payload: [{ extensions: { code: "QUERY_TOO_COMPLEX" } }] },
        served: { type: "next", payload: { data: { __typename: "Query" } } },
      },
    },
  },
  {
    name: "over WebSocket, 100 000 ids in variables are refused with QUERY_TOO_COMPLEX",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      // short ids: 100 000 of them still fit in one 1 MiB message
      const answer = await operate(socket, "ids", NODES, { ids: Array(100_000).fill("x") });
      socket.ws.close();
      return { body: answer };
    },
    expect: { body: { payload: { errors: [{ extensions: { code: "QUERY_TOO_COMPLEX" } }] } } },
  },
  {
    name: "over WebSocket, a 900 KB field name is refused quoting at most about 200 characters of it",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      const answer = await operate(socket, "long", `{ ${"f".repeat(900 * 1000)} }`);
      socket.ws.close();
      return { body: answer, message: answer?.payload?.[0]?.message };
    },
    expect: { body: { type: "error" } },
    check: shortMessage,
  },
];

hostileSuite("hostile sizes and shapes", cases);
