import { describe, expect, it } from "vitest";
import { SHUTDOWN_CLOSE_CODE } from "../src/server.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp();

const ALL_TASKS = /* GraphQL */ `subscription { taskProgress { id status } }`;

describe("stopping an instance", () => {
  it("closes WebSockets with 1012 Service Restart, which graphql-ws clients retry on, ends SSE streams, and does not wait out the grace period for them", async () => {
    const token = await tokenFor("watcher@shutdown");
    let closeCode: number | null = null;
    const upgraded = new Promise((resolve) => t.app.server.once("upgrade", resolve));
    const client = wsClient(t.wsUrl, token, (code) => (closeCode = code));
    const ws = new Collector(client, ALL_TASKS);
    await upgraded;

    const sseResponse = await fetch(t.url, {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ALL_TASKS }),
    });
    expect(sseResponse.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sseEnded = (async () => {
      const reader = sseResponse.body!.getReader();
      for (;;) if ((await reader.read()).done) return "ended";
    })().catch(() => "cut");

    const started = Date.now();
    await t.app.stop();
    const took = Date.now() - started;

    await ws.done;
    expect(closeCode).toBe(SHUTDOWN_CLOSE_CODE);
    expect(SHUTDOWN_CLOSE_CODE).toBe(1012);
    expect(await sseEnded).toBe("ended");
    // With subscribers open, shutdown must not sit out the whole 10 s grace period for open requests.
    expect(took).toBeLessThan(5_000);
    await client.dispose();
  });
});
