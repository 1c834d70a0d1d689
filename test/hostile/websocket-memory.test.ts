// Five clients send 50 MB WebSocket messages at once: the server reads none of them.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { type ReelayProcess, startReelay } from "../helpers/processes.js";
import { tokenFor } from "../helpers/tokens.js";
import { sleep } from "../helpers/wait.js";

const CLIENTS = 5;
const MESSAGE_BYTES = 50 * 1024 * 1024;
/** what the server may grow by while refusing them all; reading them would take 250 MB and more */
const MAX_GROWTH_BYTES = 100 * 1024 * 1024;
const SAMPLE_EVERY_MS = 20;

let database: TestDatabase;
let server: ReelayProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startReelay({ DATABASE_URL: database.url, LOG_LEVEL: "warn" });
});

afterAll(async () => {
  await server?.kill();
  await database?.drop();
});

/** Resident memory of the server process, from /proc. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

/** Opens a socket, sends connection_init with `token` (waiting for the ack), then one message of MESSAGE_BYTES; resolves with the close code. */
async function sendHuge(message: Buffer, token: string | null): Promise<number> {
  // An all-zero mask leaves the payload as it is: the frame goes out at once, without a 50 MB copy to mask.
  const ws = new WebSocket(server.url.replace(/^http/, "ws"), "graphql-transport-ws", { generateMask: (mask) => void mask.fill(0) });
  ws.on("error", () => {}); // the server stops reading: the send may fail, the close code tells
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  await new Promise((resolve) => ws.once("open", resolve));
  if (token) {
    ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
    await new Promise((resolve) => ws.once("message", resolve));
  }
  ws.send(message, { binary: false });
  return closed;
}

/** The largest growth of the server's RSS over `baseline` while `work` runs (and shortly after). */
async function peakGrowthDuring(work: Promise<unknown>): Promise<number> {
  const pid = server.child.process.pid!;
  const baseline = await rssOf(pid);
  let peak = baseline;
  let done = false;
  void work.finally(() => (done = true));
  while (!done) {
    peak = Math.max(peak, await rssOf(pid));
    await sleep(SAMPLE_EVERY_MS);
  }
  for (let i = 0; i < 10; i++) {
    peak = Math.max(peak, await rssOf(pid));
    await sleep(SAMPLE_EVERY_MS);
  }
  return peak - baseline;
}

describe("WebSocket messages of 50 MB from five clients at once", () => {
  const message = Buffer.alloc(MESSAGE_BYTES, "x");

  it("are refused before authentication (close 1009) while the server grows by far less than one of them", {
    timeout: 60_000,
  }, async () => {
    const sending = Promise.all(Array.from({ length: CLIENTS }, () => sendHuge(message, null)));
    const growth = await peakGrowthDuring(sending);
    expect(await sending).toEqual(Array(CLIENTS).fill(1009));
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
  });

  it("are refused from authenticated clients as well (close 1009), the server still growing by far less than one of them", {
    timeout: 60_000,
  }, async () => {
    const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => tokenFor(`sender-${i}@memory`)));
    const sending = Promise.all(tokens.map((token) => sendHuge(message, token)));
    const growth = await peakGrowthDuring(sending);
    expect(await sending).toEqual(Array(CLIENTS).fill(1009));
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
    // and it goes on serving, having printed no "internal error" for any of them
    expect((await server.gql(`{ __typename }`)).data).toEqual({ __typename: "Query" });
    expect(server.child.output).not.toMatch(/Internal error/);
  });
});
