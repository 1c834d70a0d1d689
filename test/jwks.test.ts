/**
 * Tokens from an identity provider (JWT_JWKS_URL): RS256 and ES256 signatures checked against
 * the key set a local JWKS server publishes, with issuer and audience; keys rotated at the
 * provider; the role read from JWT_ROLE_CLAIM as Auth0, Keycloak, Supabase and Clerk put it;
 * a key set that cannot be had refuses tokens quickly as UNAUTHENTICATED and is fetched again
 * once it is back. Last, the same through the running GraphQL server.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { createTokenVerifier, roleFromClaims, type TokenVerifierOptions, verifyAuthorization } from "../src/auth.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { codeOf } from "./helpers/app.js";
import { tokenFor } from "./helpers/tokens.js";
import { useStarted, useTestApp } from "./helpers/use-test-app.js";

const ISSUER = "https://id.reelay.example/";
const AUDIENCE = "https://api.reelay.example";

type Alg = "RS256" | "ES256";

/** A key pair of the identity provider's: its public half for the set, its private half to sign with. */
async function providerKey(alg: Alg, kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return {
    jwk,
    /** A token as the provider issues it: for AUDIENCE, from ISSUER, unless `claims` say otherwise. */
    sign(claims: Record<string, unknown> = {}, subject = "idp-user@jwks") {
      return new SignJWT({ iss: ISSUER, aud: AUDIENCE, ...claims })
        .setProtectedHeader({ alg, kid })
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
    },
  };
}

type ProviderKey = Awaited<ReturnType<typeof providerKey>>;

/** What the JWKS server answers: the set, an error status, a body that is no key set, or nothing at all. */
type Answer = { keys: JWK[] } | { status: number } | "garbage" | "silence";

/** A JWKS endpoint on 127.0.0.1 whose answer a test sets, counting the fetches it gets. */
async function startJwksServer() {
  let answer: Answer = { keys: [] };
  const state = { requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    if (answer === "silence") return; // holds the connection open, answering nothing
    if (answer === "garbage") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
    if ("status" in answer) return void res.writeHead(answer.status).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    /** fetches of the set so far */
    requests: () => state.requests,
    answer(next: Answer) {
      answer = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;

/** A JWKS server for the running test alone. */
async function jwksServerServing(...keys: ProviderKey[]): Promise<JwksServer> {
  const jwks = await startJwksServer();
  jwks.answer({ keys: keys.map((key) => key.jwk) });
  onTestFinished(() => jwks.close());
  return jwks;
}

const refused = (message: string | RegExp) => ({ extensions: { code: "UNAUTHENTICATED" }, message });

afterEach(() => {
  vi.useRealTimers();
});

describe("tokens signed by an identity provider", () => {
  it("accepts RS256 and ES256 tokens signed with keys of the provider's set, issued by JWT_ISSUER for JWT_AUDIENCE", async () => {
    const rsa = await providerKey("RS256", "rsa-1");
    const ec = await providerKey("ES256", "ec-1");
    const jwks = await jwksServerServing(rsa, ec);
    const tokens = createTokenVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: [AUDIENCE] });
    expect(await tokens.verify(`Bearer ${await rsa.sign({}, "rsa@jwks")}`)).toEqual({ subject: "rsa@jwks", role: "USER" });
    expect(await tokens.verify(`Bearer ${await ec.sign({ role: "admin" }, "ec@jwks")}`)).toEqual({ subject: "ec@jwks", role: "ADMIN" });
    expect(jwks.requests()).toBe(1); // one fetch of the set serves every key in it
  });

  it("refuses a well-signed token for another audience or from another issuer, saying which", async () => {
    const rsa = await providerKey("RS256", "rsa-1");
    const jwks = await jwksServerServing(rsa);
    const options = { jwksUrl: jwks.url, issuer: ISSUER, audience: [AUDIENCE] };
    await expect(verifyAuthorization(`Bearer ${await rsa.sign({ aud: "https://another-api.example" })}`, options)).rejects.toMatchObject(
      refused("Token is meant for someone else (aud)"),
    );
    await expect(verifyAuthorization(`Bearer ${await rsa.sign({ iss: "https://evil.example/" })}`, options)).rejects.toMatchObject(
      refused("Token was issued by someone else (iss)"),
    );
    expect(await verifyAuthorization(`Bearer ${await rsa.sign()}`, options)).toMatchObject({ subject: "idp-user@jwks" });
  });

  it("refuses a token naming a key (kid) the provider does not publish", async () => {
    const published = await providerKey("RS256", "rsa-1");
    const unpublished = await providerKey("RS256", "rsa-elsewhere");
    const jwks = await jwksServerServing(published);
    await expect(verifyAuthorization(`Bearer ${await unpublished.sign()}`, { jwksUrl: jwks.url })).rejects.toMatchObject(
      refused("Token is signed with a key the identity provider does not publish (kid)"),
    );
  });

  it("accepts tokens of a key the provider rotates in once the cool-down since the last fetch has passed, and drops a retired key when the set is next fetched", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const old = await providerKey("RS256", "2024");
    const next = await providerKey("RS256", "2025");
    const jwks = await jwksServerServing(old);
    const tokens = createTokenVerifier({ jwksUrl: jwks.url, jwksFetch: { cooldownMs: 5_000, maxAgeMs: 2 * 60_000 } });
    const oldToken = await old.sign({}, "old@jwks");
    const nextToken = await next.sign({}, "next@jwks");
    expect(await tokens.verify(`Bearer ${oldToken}`)).toMatchObject({ subject: "old@jwks" });
    expect(jwks.requests()).toBe(1);

    jwks.answer({ keys: [old.jwk, next.jwk] }); // the provider publishes its next key
    // Within the cool-down an unknown kid makes no fetch: tokens naming random kids cannot flood the provider.
    await expect(tokens.verify(`Bearer ${nextToken}`)).rejects.toMatchObject(refused(/does not publish \(kid\)/));
    expect(jwks.requests()).toBe(1);
    vi.setSystemTime(Date.now() + 6_000);
    expect(await tokens.verify(`Bearer ${nextToken}`)).toMatchObject({ subject: "next@jwks" });
    expect(jwks.requests()).toBe(2);

    jwks.answer({ keys: [next.jwk] }); // and retires the old one
    vi.setSystemTime(Date.now() + 2 * 60_000); // past the set's max age (and the verifier's memory of tokens)
    await expect(tokens.verify(`Bearer ${oldToken}`)).rejects.toMatchObject(refused(/does not publish \(kid\)/));
    expect(await tokens.verify(`Bearer ${nextToken}`)).toMatchObject({ subject: "next@jwks" });
    expect(jwks.requests()).toBe(3);
  });
});

describe("the role claim (JWT_ROLE_CLAIM)", () => {
  // Each provider as its documentation puts roles into tokens, with the JWT_ROLE_CLAIM that reads them.
  const providers: { name: string; roleClaim?: string; admin: Record<string, unknown>; user: Record<string, unknown>[] }[] = [
    {
      name: "the default, `role`",
      admin: { role: "admin" },
      user: [{ role: "user" }, { role: "Admin" }, {}],
    },
    {
      name: "Auth0's namespaced claim `https://reelay.example/role`",
      roleClaim: "https://reelay.example/role",
      admin: { "https://reelay.example/role": "admin" },
      // only the configured claim counts, not a `role` beside it
      user: [{ "https://reelay.example/role": "viewer", role: "admin" }, { role: "admin" }],
    },
    {
      name: "Keycloak's realm roles `realm_access.roles`",
      roleClaim: "realm_access.roles",
      admin: { realm_access: { roles: ["offline_access", "admin", "uma_authorization"] } },
      user: [{ realm_access: { roles: ["offline_access", "uma_authorization"] } }, { realm_access: {} }, { role: "admin" }],
    },
    {
      name: "Supabase's `app_metadata.role`",
      roleClaim: "app_metadata.role",
      admin: { role: "authenticated", app_metadata: { provider: "email", role: "admin" } },
      user: [
        { role: "authenticated", app_metadata: { provider: "email" } },
        { role: "admin", app_metadata: { role: "editor" } },
      ],
    },
    {
      name: "Clerk's custom session claim `metadata.role`",
      roleClaim: "metadata.role",
      admin: { metadata: { role: "admin" } },
      user: [{ metadata: {} }, { metadata: "admin" }],
    },
  ];

  for (const { name, roleClaim, admin, user } of providers) {
    it(`makes an admin of a verified token by ${name}, and a user of any other`, async () => {
      const rsa = await providerKey("RS256", "rsa-1");
      const jwks = await jwksServerServing(rsa);
      const options: TokenVerifierOptions = { jwksUrl: jwks.url, issuer: ISSUER, audience: [AUDIENCE], roleClaim };
      expect(await verifyAuthorization(`Bearer ${await rsa.sign(admin)}`, options)).toEqual({ subject: "idp-user@jwks", role: "ADMIN" });
      for (const claims of user) {
        expect(await verifyAuthorization(`Bearer ${await rsa.sign(claims)}`, options), JSON.stringify(claims)).toEqual({
          subject: "idp-user@jwks",
          role: "USER",
        });
      }
    });
  }

  it("reads a claim by its exact name before reading it as a path, and never from a prototype", () => {
    expect(roleFromClaims({ "app.role": "admin", app: { role: "user" } }, "app.role")).toBe("ADMIN");
    expect(roleFromClaims({ "app.role": "user", app: { role: "admin" } }, "app.role")).toBe("USER");
    expect(roleFromClaims({ a: { b: { c: ["admin"] } } }, "a.b.c")).toBe("ADMIN");
    expect(roleFromClaims({ a: [{ b: "admin" }] }, "a.0.b")).toBe("USER");
    expect(roleFromClaims({ role: { admin: true } })).toBe("USER");
    expect(roleFromClaims({ role: ["admin"] })).toBe("ADMIN");
    expect(roleFromClaims({}, "constructor")).toBe("USER");
    expect(roleFromClaims({ role: "x" }, "role.constructor.name")).toBe("USER");
  });

  it("is read from JWT_ROLE_CLAIM, `role` when unset, and a name that can be no claim stops the start", () => {
    expect(loadConfig({}).jwtRoleClaim).toBe("role");
    expect(loadConfig({ JWT_ROLE_CLAIM: "" }).jwtRoleClaim).toBe("role");
    for (const claim of ["https://reelay.example/role", "realm_access.roles", "app_metadata.role", "metadata.role"]) {
      expect(loadConfig({ JWT_ROLE_CLAIM: claim }).jwtRoleClaim).toBe(claim);
    }
    for (const bad of ["  ", "realm access", "realm_access.", ".role", "a..b", "role\n", "x".repeat(201)]) {
      expect(() => loadConfig({ JWT_ROLE_CLAIM: bad }), JSON.stringify(bad)).toThrow(ConfigError);
      expect(() => loadConfig({ JWT_ROLE_CLAIM: bad })).toThrow(/^JWT_ROLE_CLAIM must be a claim name/);
    }
  });
});

describe("a key set that cannot be had", () => {
  const unreachable = refused("Token could not be checked: the identity provider's keys are unreachable");

  it("refuses tokens at once as UNAUTHENTICATED when nothing listens at JWT_JWKS_URL", async () => {
    const rsa = await providerKey("RS256", "rsa-1");
    const gone = await startJwksServer();
    await gone.close();
    const started = Date.now();
    await expect(verifyAuthorization(`Bearer ${await rsa.sign()}`, { jwksUrl: gone.url })).rejects.toMatchObject(unreachable);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses tokens as UNAUTHENTICATED after the fetch timeout when the provider does not answer, rather than hang", async () => {
    const rsa = await providerKey("RS256", "rsa-1");
    const jwks = await jwksServerServing(rsa);
    jwks.answer("silence");
    const started = Date.now();
    await expect(
      verifyAuthorization(`Bearer ${await rsa.sign()}`, { jwksUrl: jwks.url, jwksFetch: { timeoutMs: 300 } }),
    ).rejects.toMatchObject(unreachable);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("refuses tokens while the provider answers with an error or with no key set, and accepts the same token once it is back", async () => {
    const rsa = await providerKey("RS256", "rsa-1");
    const jwks = await jwksServerServing(rsa);
    const tokens = createTokenVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: [AUDIENCE] });
    const token = await rsa.sign({ role: "admin" });
    for (const outage of [{ status: 503 }, { status: 302 }, "garbage", { keys: "none" }] as Answer[]) {
      jwks.answer(outage);
      await expect(tokens.verify(`Bearer ${token}`), JSON.stringify(outage)).rejects.toMatchObject(unreachable);
    }
    const fetchesDuringOutage = jwks.requests();
    expect(fetchesDuringOutage).toBe(4); // a failed fetch is not remembered as the set: each token tries again
    jwks.answer({ keys: [rsa.jwk] });
    // neither the refusal nor the failed fetch was remembered
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "idp-user@jwks", role: "ADMIN" });
    expect(jwks.requests()).toBe(fetchesDuringOutage + 1);
  });
});

describe("identity-provider tokens through the GraphQL server", () => {
  const rsa = useStarted(
    () => providerKey("RS256", "rsa-app"),
    async () => {},
  );
  const jwks = useStarted(startJwksServer, (server) => server.close());
  const app = useTestApp(() => {
    jwks.answer({ keys: [rsa.jwk] });
    // the settings as an operator writes them, parsed as at start; no HS256 secret: the provider alone issues tokens
    const env = loadConfig({
      JWT_JWKS_URL: jwks.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: `${AUDIENCE}, https://staging-api.reelay.example`,
      JWT_ROLE_CLAIM: "realm_access.roles",
    });
    return {
      config: {
        role: "api" as const,
        jwtSecret: null,
        jwtJwksUrl: env.jwtJwksUrl,
        jwtIssuer: env.jwtIssuer,
        jwtAudience: env.jwtAudience,
        jwtRoleClaim: env.jwtRoleClaim,
      },
    };
  });

  const USERS = /* GraphQL */ `query { users(first: 5) { edges { node { subject role } } } }`;
  const ME = /* GraphQL */ `query { me { subject role } }`;

  it("lets an RS256 token with the admin role in its role claim run admin-only queries", async () => {
    const token = await rsa.sign({ realm_access: { roles: ["offline_access", "admin"] } }, "idp-admin@jwks");
    const me = await app.gql(ME, {}, { token });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({ subject: "idp-admin@jwks", role: "ADMIN" });
    const users = await app.gql(USERS, {}, { token });
    expect(users.errors).toBeUndefined();
    expect(users.data!.users.edges).toContainEqual({ node: { subject: "idp-admin@jwks", role: "ADMIN" } });
  });

  it("gives a token without it a user's rights: FORBIDDEN on admin-only queries, its own `me`", async () => {
    // a top-level `role: "admin"` is not the configured claim
    const token = await rsa.sign({ role: "admin", realm_access: { roles: ["offline_access"] } }, "idp-user@jwks");
    expect(codeOf(await app.gql(USERS, {}, { token }))).toBe("FORBIDDEN");
    const me = await app.gql(ME, {}, { token });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({ subject: "idp-user@jwks", role: "USER" });
  });

  it("refuses tokens the provider did not sign for this API: another audience, or HS256 when no secret is configured", async () => {
    const elsewhere = await rsa.sign({ aud: "https://another-api.example", realm_access: { roles: ["admin"] } }, "idp-admin@jwks");
    const res = await app.gql(ME, {}, { token: elsewhere });
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.errors?.[0]?.message).toBe("Token is meant for someone else (aud)");
    expect(codeOf(await app.gql(ME, {}, { token: await tokenFor("hs256@jwks", { role: "admin" }) }))).toBe("UNAUTHENTICATED");
  });
});
