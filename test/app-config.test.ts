/**
 * The configuration an app is built with never changes afterwards; the base URL of the
 * links it hands out is PUBLIC_BASE_URL, or else fixed once from the port it listens on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";

let database: TestDatabase;
const apps: TestApp[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  await database?.drop();
});

async function start(config: Parameters<typeof startTestApp>[0]["config"] = {}) {
  const app = await startTestApp({ databaseUrl: database.url, config: { role: "api", ...config } });
  apps.push(app);
  return app;
}

describe("app configuration", () => {
  it("is frozen once the app is built: a write throws and changes nothing", async () => {
    const t = await start();
    const { config } = t.app.services;
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => Object.assign(config, { pollIntervalMs: 1 })).toThrow(TypeError);
    expect(config.pollIntervalMs).toBe(100);
  });

  it("signs media links for the port it listens on when no public base URL is set, without writing it into the config", async () => {
    const t = await start();
    expect(t.app.services.config.publicBaseUrl).toBeNull();
    expect(t.app.services.publicBaseUrl.get()).toBe(t.origin);
    expect(new URL(t.app.services.signer.url("media/x/video.mp4")).origin).toBe(t.origin);
  });

  it("signs media links under the public base URL when one is set", async () => {
    const t = await start({ publicBaseUrl: "https://videos.example.com" });
    expect(t.app.services.signer.url("media/x/video.mp4")).toMatch(/^https:\/\/videos\.example\.com\/media\/media\/x\/video\.mp4\?/);
  });
});
