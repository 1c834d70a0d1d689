// What the server shows to someone who is not meant to see it: schema, GraphiQL, metrics,
// cross-origin reads and media links.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { expect } from "vitest";
import { createMediaSigner } from "../../src/http/media.js";
import { CSRF_HEADER } from "../../src/server.js";
import {
  ALLOWED_ORIGIN,
  graphql,
  HOSTILE_CONFIG,
  HOSTILE_METRICS_TOKEN,
  HOSTILE_SECRET,
  type HostileCase,
  type HostileTarget,
  hostileSuite,
  type Outcome,
  openSocket,
  operate,
  outcomeOf,
  VICTIM,
} from "./harness.js";

const FOREIGN_ORIGIN = "https://evil.example";
const INTROSPECTION = /* GraphQL */ `{ __schema { types { name } } }`;

const asVictim = (query: string) => async (target: HostileTarget) => graphql(target, query, {}, { token: await target.token(VICTIM) });
const metrics =
  (headers: Record<string, string> = {}, path = "/metrics") =>
  async (target: HostileTarget) =>
    outcomeOf(await fetch(`${target.origin}${path}`, { headers }));
const fromOrigin =
  (origin: string, method: "POST" | "OPTIONS" = "POST") =>
  async (target: HostileTarget): Promise<Outcome> => {
    const headers: Record<string, string> =
      method === "POST"
        ? { origin, "content-type": "application/json", authorization: `Bearer ${await target.token(VICTIM)}` }
        : { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" };
    const body = method === "POST" ? JSON.stringify({ query: "{ me { subject balance } }" }) : undefined;
    return outcomeOf(await fetch(target.url, { method, headers, body }));
  };
const noCrossOriginAccess = (outcome: Outcome) => {
  expect(outcome.headers?.get("access-control-allow-origin")).toBeNull();
  expect(outcome.headers?.get("access-control-allow-credentials")).toBeNull();
};

/** A media object in the server's storage and a URL to it signed with `secret` the way media URLs are signed. */
async function mediaUrlSignedWith(target: HostileTarget, secret: string): Promise<string> {
  const key = `media/${randomUUID()}/video.mp4`;
  await target.app.app.services.storage.put(key, Readable.from([Buffer.from("not really a video")]), { contentType: "video/mp4" });
  return createMediaSigner(secret, () => target.origin, 3600).url(key);
}
const fetchMedia = (secret: (target: HostileTarget) => string) => async (target: HostileTarget) =>
  outcomeOf(await fetch(await mediaUrlSignedWith(target, secret(target))));

const cases: HostileCase[] = [
  {
    name: "introspection (__schema) is refused with FORBIDDEN when INTROSPECTION=false",
    send: asVictim(INTROSPECTION),
    expect: { code: "FORBIDDEN" },
  },
  {
    name: "introspection without a token is refused with FORBIDDEN too",
    send: (t) => graphql(t, INTROSPECTION),
    expect: { code: "FORBIDDEN" },
  },
  {
    name: "__type lookups are refused with FORBIDDEN when INTROSPECTION=false",
    send: asVictim(`{ __type(name: "User") { fields { name } } }`),
    expect: { code: "FORBIDDEN" },
  },
  {
    name: "introspection hidden in a fragment is refused with FORBIDDEN",
    send: asVictim(`{ ...F } fragment F on Query { __schema { queryType { name } } }`),
    expect: { code: "FORBIDDEN" },
  },
  {
    name: "introspection over WebSocket is refused with FORBIDDEN",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, await t.token(VICTIM));
      const answer = await operate(socket, "schema", INTROSPECTION);
      socket.ws.close();
      return { body: answer };
    },
    expect: { body: { type: "error", payload: [{ extensions: { code: "FORBIDDEN" } }] } },
  },
  {
    name: "__typename is still answered with introspection off",
    send: asVictim(`{ __typename }`),
    expect: { status: 200, body: { data: { __typename: "Query" } } },
  },
  {
    name: "a misspelt field gets no suggestion that would reveal the schema",
    send: asVictim(`{ mee { id } }`),
    expect: { message: expect.stringMatching(/^Cannot query field "mee"/) },
    check: (outcome) => expect(outcome.message).not.toMatch(/Did you mean|"me"/),
  },
  {
    name: "a browser asking for GraphiQL gets no page when GRAPHIQL=false",
    send: async (t) => outcomeOf(await fetch(t.url, { headers: { accept: "text/html" } })),
    expect: {},
    check: (outcome) => {
      expect(outcome.headers?.get("content-type") ?? "").not.toMatch(/text\/html/);
      expect(String(outcome.body)).not.toMatch(/graphiql/i);
    },
  },
  { name: "/metrics without a token is refused with 401", send: metrics(), expect: { status: 401 } },
  {
    name: "/metrics with the wrong token is refused with 401",
    send: metrics({ authorization: `Bearer ${HOSTILE_METRICS_TOKEN}x` }),
    expect: { status: 401 },
  },
  {
    name: "/metrics with the token in another scheme is refused with 401",
    send: metrics({ authorization: `Basic ${HOSTILE_METRICS_TOKEN}` }),
    expect: { status: 401 },
  },
  {
    name: "/metrics with the token in the query string is refused with 401",
    send: metrics({}, `/metrics?token=${HOSTILE_METRICS_TOKEN}`),
    expect: { status: 401 },
  },
  {
    name: "/metrics with a user's bearer token is refused with 401",
    send: async (t) => metrics({ authorization: `Bearer ${await t.token("admin@hostile", { role: "admin" })}` })(t),
    expect: { status: 401 },
  },
  {
    name: "/metrics with METRICS_TOKEN is served",
    send: metrics({ authorization: `Bearer ${HOSTILE_METRICS_TOKEN}` }),
    expect: { status: 200 },
    check: (outcome) => expect(String(outcome.body)).toMatch(/^# HELP reelay_/m),
  },
  {
    name: "a page on a foreign origin gets no CORS grant to read a user's answer",
    send: fromOrigin(FOREIGN_ORIGIN),
    expect: { status: 200 },
    check: noCrossOriginAccess,
  },
  {
    name: "a preflight from a foreign origin is granted nothing",
    send: fromOrigin(FOREIGN_ORIGIN, "OPTIONS"),
    expect: { status: 204 },
    check: (outcome) => {
      noCrossOriginAccess(outcome);
      expect(outcome.headers?.get("access-control-allow-headers")).toBeNull();
    },
  },
  {
    name: "a sandboxed page (Origin: null) gets no CORS grant",
    send: fromOrigin("null"),
    expect: { status: 200 },
    check: noCrossOriginAccess,
  },
  {
    name: "an origin that merely starts like the allowed one gets no CORS grant",
    send: fromOrigin(`${ALLOWED_ORIGIN}.evil.example`),
    expect: { status: 200 },
    check: noCrossOriginAccess,
  },
  {
    name: "the allowed origin is granted by name, never with credentials",
    send: fromOrigin(ALLOWED_ORIGIN),
    expect: { status: 200 },
    check: (outcome) => {
      expect(outcome.headers?.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
      expect(outcome.headers?.get("access-control-allow-credentials")).toBeNull();
      expect(outcome.headers?.get("vary")).toMatch(/Origin/);
    },
  },
  {
    name: "a multipart request without the CSRF header is refused with 403 FORBIDDEN",
    send: async (t) => {
      const form = new FormData();
      form.set("operations", JSON.stringify({ query: "{ me { subject } }" }));
      form.set("map", "{}");
      return outcomeOf(await fetch(t.url, { method: "POST", body: form, headers: { authorization: `Bearer ${await t.token(VICTIM)}` } }));
    },
    expect: { status: 403, code: "FORBIDDEN" },
    check: (outcome) => expect(outcome.message).toContain(CSRF_HEADER),
  },
  {
    name: "a media URL signed with the token secret is refused with 403",
    send: fetchMedia(() => HOSTILE_SECRET),
    expect: { status: 403 },
  },
  {
    name: "a media URL signed with the media signing secret is served (the control for the case above)",
    send: fetchMedia(() => HOSTILE_CONFIG.mediaSigningSecret!),
    expect: { status: 200, body: "not really a video" },
  },
  {
    name: "a media URL whose expiry was pushed out is refused with 403",
    send: async (t) => {
      const url = new URL(await mediaUrlSignedWith(t, HOSTILE_CONFIG.mediaSigningSecret!));
      url.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 365 * 24 * 3600));
      return outcomeOf(await fetch(url));
    },
    expect: { status: 403 },
  },
];

hostileSuite("hostile probes of the surface", cases);
