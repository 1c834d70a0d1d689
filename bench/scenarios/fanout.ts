import { type Client, createClient } from "graphql-ws";
import { Redis } from "ioredis";
import pg from "pg";
import WebSocket from "ws";
import { createRedisPubSub } from "../../src/pubsub.js";
import { startChild } from "../lib/child.js";
import { gql, tokenFor } from "../lib/client.js";
import { REDIS_URL, redisPrefix, scratchDatabase } from "../lib/env.js";
import { type Figure, percentile } from "../lib/report.js";

/** Latencies, sorted, from PUBLISH to each plain client's frame, over `rounds` messages. */
async function bareBroadcast(prefix: string, subscribers: number, rounds: number, publisher: Redis): Promise<number[]> {
  const channel = `${prefix}bare`;
  const servers = [
    await startChild<{ url: string }>("bench/lib/bare-broadcast.ts", [REDIS_URL, channel]),
    await startChild<{ url: string }>("bench/lib/bare-broadcast.ts", [REDIS_URL, channel]),
  ];
  const sockets: WebSocket[] = [];
  const samples: number[] = [];
  try {
    let expecting = -1;
    let sentAt = 0;
    let received = 0;
    let roundDone: () => void = () => {};
    await Promise.all(
      Array.from({ length: subscribers }, (_, i) => {
        const socket = new WebSocket(servers[i % 2].info.url);
        sockets.push(socket);
        socket.on("message", (data) => {
          const frame = JSON.parse(String(data)) as { payload: { data: { taskProgress: { progress: number } } } };
          if (frame.payload.data.taskProgress.progress !== expecting) return;
          samples.push(performance.now() - sentAt);
          if (++received === subscribers) roundDone();
        });
        return new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      }),
    );
    for (let round = 1; round <= rounds; round++) {
      received = 0;
      expecting = round;
      const done = new Promise<void>((resolve) => (roundDone = resolve));
      sentAt = performance.now();
      await publisher.publish(
        channel,
        JSON.stringify({ taskId: "00000000-0000-0000-0000-000000000000", userId: "", status: "PROCESSING", progress: round }),
      );
      await done;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    for (const socket of sockets) socket.terminate();
    for (const server of servers) await server.stop();
  }
  return samples.sort((a, b) => a - b);
}

const SUBSCRIBE = "subscription($id: ID!) { taskProgress(id: $id) { id status progress } }";

/**
 * A task change published on the bus (as the worker does after a poll) to the frame each of
 * N graphql-ws subscribers receives, spread over two instances joined by Redis; beside the
 * raw ioredis PUBLISH → message round trip in the same run.
 */
export async function fanout(options: { quick: boolean }): Promise<Figure[]> {
  const subscribers = options.quick ? 200 : 1000;
  const rounds = options.quick ? 10 : 20;
  const prefix = redisPrefix();
  const database = await scratchDatabase();
  const provider = await startChild<{ baseUrl: string; apiKey: string }>("bench/lib/mock-provider.ts");
  const common = {
    databaseUrl: database.url,
    role: "api",
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    channelBaseUrl: provider.info.baseUrl,
    channelApiKey: provider.info.apiKey,
  };
  const instances = [
    await startChild<{ url: string }>("bench/lib/reelay-server.ts", [JSON.stringify(common)]),
    await startChild<{ url: string }>("bench/lib/reelay-server.ts", [JSON.stringify(common)]),
  ];
  const clients: Client[] = [];
  const bus = createRedisPubSub({ url: REDIS_URL, prefix });
  const rawPub = new Redis(REDIS_URL);
  const rawSub = new Redis(REDIS_URL);
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  try {
    const url = instances[0].info.url;
    await gql(url, `mutation { grantCredit(subject: "watcher@bench", amount: "10") { id } }`, {}, await tokenFor("admin@bench", "admin"));
    const token = await tokenFor("watcher@bench");
    const created = await gql(
      url,
      "mutation($i: CreateVideoInput!) { createVideo(input: $i) { id } }",
      { i: { model: "sora-2", prompt: "a fan-out benchmark", seconds: 4 } },
      token,
    );
    const id = created.data?.createVideo.id as string;
    if (!id) throw new Error(JSON.stringify(created.errors));
    const row = await sql.query<{ id: string; userId: string }>(`SELECT id, "userId" FROM tasks LIMIT 1`);
    const { id: taskId, userId } = row.rows[0];

    // Every subscriber records when each progress value reached it.
    let expecting = -1;
    let sentAt = 0;
    let received = 0;
    const samples: number[] = [];
    let roundDone: () => void = () => {};
    let ready = 0;
    let allReady: () => void = () => {};
    const readyPromise = new Promise<void>((resolve) => (allReady = resolve));
    for (let i = 0; i < subscribers; i++) {
      const client = createClient({
        url: instances[i % 2].info.url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      clients.push(client);
      let first = true;
      client.subscribe<{ taskProgress: { progress: number } }>(
        { query: SUBSCRIBE, variables: { id } },
        {
          next: (result) => {
            if (first) {
              first = false;
              if (++ready === subscribers) allReady();
              return;
            }
            if (result.data?.taskProgress.progress !== expecting) return;
            samples.push(performance.now() - sentAt);
            if (++received === subscribers) roundDone();
          },
          error: () => {},
          complete: () => {},
        },
      );
    }
    await readyPromise;

    for (let round = 1; round <= rounds; round++) {
      await sql.query(`UPDATE tasks SET status = 'PROCESSING', progress = $1 WHERE id = $2`, [round, taskId]);
      received = 0;
      expecting = round;
      const done = new Promise<void>((resolve, reject) => {
        roundDone = resolve;
        setTimeout(() => reject(new Error(`round ${round}: ${received} of ${subscribers} frames arrived`)), 30_000).unref();
      });
      sentAt = performance.now();
      await bus.publish({ taskId, userId, status: "PROCESSING", progress: round });
      await done;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Raw Redis: PUBLISH → message on a second connection, the same number of times.
    const raw: number[] = [];
    const channel = `${prefix}raw`;
    await rawSub.subscribe(channel);
    for (let i = 0; i < Math.max(rounds, 200); i++) {
      const got = new Promise<void>((resolve) => rawSub.once("message", () => resolve()));
      const started = performance.now();
      await rawPub.publish(channel, JSON.stringify({ taskId, userId, status: "PROCESSING", progress: i }));
      await got;
      raw.push(performance.now() - started);
    }
    // The same frames from plain WebSocket servers (two, like the instances) to as many
    // plain clients in this process: what sending and receiving alone costs here.
    const bare = await bareBroadcast(prefix, subscribers, rounds, rawPub);

    samples.sort((a, b) => a - b);
    raw.sort((a, b) => a - b);
    const p99 = percentile(samples, 99);
    const rawP99 = percentile(raw, 99);
    return [
      {
        scenario: "fanout",
        figure: `publish → frame at ${subscribers} subscribers, p50`,
        value: percentile(samples, 50),
        unit: "ms",
        bound: { label: "raw Redis round trip p50", value: percentile(raw, 50), unit: "ms" },
        ratio: null,
        goal: "report",
        met: null,
      },
      {
        scenario: "fanout",
        figure: `publish → frame at ${subscribers} subscribers, p99`,
        value: p99,
        unit: "ms",
        bound: { label: "raw Redis round trip p99", value: rawP99, unit: "ms" },
        ratio: null,
        goal: "≤ raw p99 + 5 ms",
        met: p99 <= rawP99 + 5,
        note: `${rounds} changes, subscribers split over two instances; each instance reads the changed row once per selection`,
      },
      {
        scenario: "fanout",
        figure: `publish → frame at ${subscribers} subscribers, p99, against plain WebSockets`,
        value: p99,
        unit: "ms",
        bound: { label: "plain ws broadcast p99", value: percentile(bare, 99), unit: "ms" },
        ratio: percentile(bare, 99) / p99,
        goal: "report",
        met: null,
        note: `plain ws broadcast p50 ${percentile(bare, 50).toFixed(1)} ms: two ws servers forwarding the Redis message to ${subscribers / 2} plain clients each`,
      },
    ];
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await bus.close();
    rawPub.disconnect();
    rawSub.disconnect();
    await sql.end();
    for (const instance of instances) await instance.stop();
    await provider.stop();
    await database.drop();
  }
}
