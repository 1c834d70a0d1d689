// Bearer tokens an attacker would try, over HTTP and WebSocket.
import { expect } from "vitest";
import { graphql, type HostileCase, type HostileTarget, hostileSuite, type Outcome, openSocket, signToken, VICTIM } from "./harness.js";

const ME = /* GraphQL */ `{ me { subject role } }`;
const GRANT = /* GraphQL */ `mutation { grantCredit(subject: "${VICTIM}", amount: "1000") { balance } }`;
/** the development secret Reelay once fell back to, published in its sources */
const PUBLISHED_SECRET = "reelay-development-secret-change-me";

const withHeader = (authorization: string) => (target: HostileTarget) => graphql(target, ME, {}, { headers: { authorization } });
const withToken =
  (token: () => Promise<string>, query = ME) =>
  async (target: HostileTarget) =>
    graphql(target, query, {}, { token: await token() });
const unauthenticated = { status: 401, code: "UNAUTHENTICATED" };

/** A JWT with `alg: none` and no signature, claiming to be an admin. */
function unsignedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ sub: "admin@hostile", role: "admin", exp: now + 3600, iss: "https://id.hostile.test", aud: "reelay-hostile" })}.`;
}

async function socketCloseCode(target: HostileTarget, token: string | null): Promise<Outcome> {
  const socket = await openSocket(target.wsUrl, token);
  return { closeCode: await socket.closed, body: { acknowledged: socket.acknowledged } };
}

const cases: HostileCase[] = [
  { name: "no token: me answers UNAUTHENTICATED with 401", send: (t) => graphql(t, ME), expect: unauthenticated },
  {
    name: "an expired token is refused",
    send: withToken(() => signToken(VICTIM, { expiresIn: -60 })),
    expect: { ...unauthenticated, message: "Token has expired" },
  },
  {
    name: "a token without exp is refused, however valid its signature",
    send: withToken(() => signToken(VICTIM, { expiresIn: null })),
    expect: { ...unauthenticated, message: "Token has no expiry (exp)" },
  },
  {
    name: "an unsigned token (alg: none) claiming admin is refused",
    send: withHeader(`Bearer ${unsignedToken()}`),
    expect: unauthenticated,
  },
  {
    name: "a token signed with another secret is refused",
    send: withToken(() => signToken(VICTIM, { secret: "some-other-secret" })),
    expect: { ...unauthenticated, message: "Token is invalid" },
  },
  {
    name: "an admin token signed with the once-published development secret grants nothing",
    send: withToken(() => signToken("admin@hostile", { role: "admin", secret: PUBLISHED_SECRET }), GRANT),
    expect: unauthenticated,
  },
  {
    name: "a token signed with the right secret but HS512 is refused (HS256 only)",
    send: withToken(() => signToken(VICTIM, { alg: "HS512" })),
    expect: unauthenticated,
  },
  {
    name: "a token from another issuer is refused",
    send: withToken(() => signToken(VICTIM, { issuer: "https://evil.example" })),
    expect: { ...unauthenticated, message: "Token was issued by someone else (iss)" },
  },
  {
    name: "a token without an issuer is refused when JWT_ISSUER is set",
    send: withToken(() => signToken(VICTIM, { issuer: null })),
    expect: unauthenticated,
  },
  {
    name: "a token for another audience is refused",
    send: withToken(() => signToken(VICTIM, { audience: "another-api" })),
    expect: { ...unauthenticated, message: "Token is meant for someone else (aud)" },
  },
  {
    name: "a token without an audience is refused when JWT_AUDIENCE is set",
    send: withToken(() => signToken(VICTIM, { audience: null })),
    expect: unauthenticated,
  },
  { name: "garbage after Bearer is refused", send: withHeader("Bearer not.a.jwt"), expect: unauthenticated },
  { name: "another scheme (Basic) is refused", send: withHeader("Basic YWRtaW46YWRtaW4="), expect: unauthenticated },
  {
    name: "a 12 KB token is refused without being echoed",
    send: withHeader(`Bearer ${"A".repeat(12 * 1024)}`),
    expect: unauthenticated,
    check: (outcome) => expect(JSON.stringify(outcome.body).length).toBeLessThan(1_000),
  },
  {
    name: "an Authorization header over Node's 16 KB header limit is cut off with 431",
    send: withHeader(`Bearer ${"A".repeat(20 * 1024)}`),
    expect: { status: 431 },
  },
  {
    name: "a token whose subject is longer than any identity provider's is refused",
    send: withToken(() => signToken("s".repeat(300))),
    expect: { ...unauthenticated, message: "Token subject is not acceptable" },
  },
  {
    name: "a WebSocket without a token is closed with 4403",
    send: (t) => socketCloseCode(t, null),
    expect: { closeCode: 4403, body: { acknowledged: false } },
  },
  {
    name: "a WebSocket with an expired token is closed with 4403",
    send: async (t) => socketCloseCode(t, await signToken(VICTIM, { expiresIn: -60 })),
    expect: { closeCode: 4403 },
  },
  {
    name: "a WebSocket with a token without exp is closed with 4403",
    send: async (t) => socketCloseCode(t, await signToken(VICTIM, { expiresIn: null })),
    expect: { closeCode: 4403 },
  },
  {
    name: "an operation sent on a WebSocket before connection_init is refused by closing with 4401",
    send: async (t) => {
      const socket = await openSocket(t.wsUrl, null, { init: false });
      socket.ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: ME } }));
      return { closeCode: await socket.closed };
    },
    expect: { closeCode: 4401 },
  },
];

hostileSuite("hostile tokens", cases);
