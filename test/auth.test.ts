import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenVerifier, secretKey, verifyAuthorization } from "../src/auth.js";
import { TEST_JWT_SECRET, tokenFor } from "./helpers/tokens.js";

// Every signature check goes through the real jwtVerify; the spy counts them.
vi.mock("jose", async (importOriginal) => {
  const original = await importOriginal<typeof import("jose")>();
  return { ...original, jwtVerify: vi.fn(original.jwtVerify) };
});

const key = secretKey(TEST_JWT_SECRET);

afterEach(() => {
  vi.useRealTimers();
});

describe("bearer tokens", () => {
  it("keeps refusing a token once it has expired, though it was accepted (and remembered) before", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const tokens = createTokenVerifier({ secret: key });
    const token = await tokenFor("clock@auth", { expiresIn: "30s" });
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "clock@auth", role: "USER" });
    vi.setSystemTime(Date.now() + 20_000);
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "clock@auth", role: "USER" });
    vi.setSystemTime(Date.now() + 20_000); // past exp and the 5 s tolerance
    await expect(tokens.verify(`Bearer ${token}`)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
      message: "Token has expired",
    });
  });

  it("refuses a remembered token under another secret, and a token whose signature was altered", async () => {
    const tokens = createTokenVerifier({ secret: key });
    const token = await tokenFor("forger@auth", { role: "admin" });
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "forger@auth", role: "ADMIN" });
    await expect(verifyAuthorization(`Bearer ${token}`, { secret: secretKey("another-secret") })).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    const altered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await expect(tokens.verify(`Bearer ${altered}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});

describe("what a token must carry", () => {
  const sign = (claims: Record<string, unknown>, expiresIn: string | null = "1h", secret = TEST_JWT_SECRET) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("claims@auth").setIssuedAt();
    if (expiresIn) jwt.setExpirationTime(expiresIn);
    return jwt.sign(secretKey(secret));
  };

  it("refuses a token without exp, however valid its signature", async () => {
    await expect(verifyAuthorization(`Bearer ${await sign({}, null)}`, { secret: key })).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
      message: "Token has no expiry (exp)",
    });
  });

  it("checks iss and aud when an issuer and audiences are configured, and only then", async () => {
    const strict = { secret: key, issuer: "https://id.example", audience: ["reelay", "reelay-staging"] };
    const good = await sign({ iss: "https://id.example", aud: "reelay-staging" });
    expect(await verifyAuthorization(`Bearer ${good}`, strict)).toEqual({ subject: "claims@auth", role: "USER" });
    for (const [claims, message] of [
      [{ iss: "https://evil.example", aud: "reelay" }, "Token was issued by someone else (iss)"],
      [{ aud: "reelay" }, "Token was issued by someone else (iss)"],
      [{ iss: "https://id.example", aud: "another-api" }, "Token is meant for someone else (aud)"],
      [{ iss: "https://id.example" }, "Token is meant for someone else (aud)"],
    ] as const) {
      await expect(verifyAuthorization(`Bearer ${await sign(claims)}`, strict)).rejects.toMatchObject({
        extensions: { code: "UNAUTHENTICATED" },
        message,
      });
    }
    // Without them configured, a token carrying any issuer and audience is fine.
    const loose = await sign({ iss: "https://anyone.example", aud: "anything" });
    expect(await verifyAuthorization(`Bearer ${loose}`, { secret: key })).toEqual({ subject: "claims@auth", role: "USER" });
  });

  it("remembers a token no longer than its exp: at exp it is checked again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const tokens = createTokenVerifier({ secret: key });
    const token = await tokenFor("cache@auth", { expiresIn: "30s" });
    const checks = () => vi.mocked(jose.jwtVerify).mock.calls.filter(([t]) => t === token).length;
    await tokens.verify(`Bearer ${token}`);
    vi.setSystemTime(Date.now() + 20_000);
    await tokens.verify(`Bearer ${token}`);
    expect(checks()).toBe(1); // remembered
    vi.setSystemTime(Date.now() + 11_000); // past exp, within the clock tolerance
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "cache@auth", role: "USER" });
    expect(checks()).toBe(2); // checked again rather than remembered past exp
  });
});

describe("tokens from an identity provider (JWT_JWKS_URL)", () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    server = createServer((_req, res) => {
      jwksRequests++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(() => new Promise((resolve) => server?.close(resolve)));

  const signES256 = (claims: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("idp@auth").setExpirationTime("1h").sign(privateKey);

  it("accepts a token signed with one of the provider's keys, and HS256 tokens only when a secret is configured too", async () => {
    const token = await signES256({ role: "admin" });
    expect(await verifyAuthorization(`Bearer ${token}`, { jwksUrl })).toEqual({ subject: "idp@auth", role: "ADMIN" });
    expect(jwksRequests).toBeGreaterThan(0);
    const hs256 = await tokenFor("local@auth");
    await expect(verifyAuthorization(`Bearer ${hs256}`, { jwksUrl })).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    expect(await verifyAuthorization(`Bearer ${hs256}`, { jwksUrl, secret: key })).toEqual({ subject: "local@auth", role: "USER" });
  });

  it("refuses a token signed with another key, or HS256-signed with the provider's public key as the secret", async () => {
    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("idp@auth")
      .setExpirationTime("1h")
      .sign(stranger.privateKey);
    await expect(verifyAuthorization(`Bearer ${forged}`, { jwksUrl })).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    const publicJwk = JSON.stringify((await (await fetch(jwksUrl)).json()).keys[0]);
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("idp@auth")
      .setExpirationTime("1h")
      .sign(secretKey(publicJwk));
    await expect(verifyAuthorization(`Bearer ${confused}`, { jwksUrl })).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});
