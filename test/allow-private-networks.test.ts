import { pino } from "pino";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadConfig } from "../src/config.js";
import { startTestApp } from "./helpers/app.js";
import { createTestDatabase } from "./helpers/database.js";

const WARN = 40; // pino's number for the warn level

describe("ALLOW_PRIVATE_NETWORKS", () => {
  it("is off unless set, and reads true and false", () => {
    expect(loadConfig({}).allowPrivateNetworks).toBe(false);
    expect(loadConfig({ ALLOW_PRIVATE_NETWORKS: "true" }).allowPrivateNetworks).toBe(true);
    expect(loadConfig({ ALLOW_PRIVATE_NETWORKS: "false" }).allowPrivateNetworks).toBe(false);
    expect(() => loadConfig({ ALLOW_PRIVATE_NETWORKS: "maybe" })).toThrow(/ALLOW_PRIVATE_NETWORKS/);
  });

  it.each([
    [true, 1],
    [false, 0],
  ])("on=%s: warns loudly at start (%i warning naming it)", async (on, warnings) => {
    const database = await createTestDatabase();
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const t = await startTestApp({ databaseUrl: database.url, config: { allowPrivateNetworks: on, role: "api" }, logger });
    onTestFinished(async () => {
      await t.stop();
      await database.drop();
    });
    const named = lines.filter((l) => l.level === WARN && l.msg.includes("ALLOW_PRIVATE_NETWORKS"));
    expect(named).toHaveLength(warnings);
    if (on) expect(named[0].msg).toMatch(/development and tests only/);
  });
});
