import { afterEach, describe, expect, it, vi } from "vitest";
import { createTokenVerifier, secretKey, verifyAuthorization } from "../src/auth.js";
import { TEST_JWT_SECRET, tokenFor } from "./helpers/tokens.js";

const key = secretKey(TEST_JWT_SECRET);

afterEach(() => {
  vi.useRealTimers();
});

describe("bearer tokens", () => {
  it("keeps refusing a token once it has expired, though it was accepted (and remembered) before", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const tokens = createTokenVerifier(key);
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
    const tokens = createTokenVerifier(key);
    const token = await tokenFor("forger@auth", { role: "admin" });
    expect(await tokens.verify(`Bearer ${token}`)).toEqual({ subject: "forger@auth", role: "ADMIN" });
    await expect(verifyAuthorization(`Bearer ${token}`, secretKey("another-secret"))).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    const altered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await expect(tokens.verify(`Bearer ${altered}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});
