// One Reelay instance in its own process, for load that must not share the benchmark's
// event loop. argv: JSON of { databaseUrl, redisUrl?, redisPrefix?, role?, pollIntervalMs?, pollMinIntervalMs?,
// pollMaxIntervalMs?, mediaDir?, workerConcurrency?, channelBaseUrl?, channelApiKey? }.
// Prints one JSON line { url, origin }; stops gracefully when stdin closes.
import { buildApp } from "../../src/server.js";
import { BENCH_JWT_SECRET } from "./env.js";

const options = JSON.parse(process.argv[2]) as {
  databaseUrl: string;
  redisUrl?: string;
  redisPrefix?: string;
  role?: "all" | "api" | "worker";
  pollIntervalMs?: number;
  pollMinIntervalMs?: number;
  pollMaxIntervalMs?: number;
  mediaDir?: string;
  workerConcurrency?: number;
  channelBaseUrl?: string;
  channelApiKey?: string;
};
const app = await buildApp({
  config: {
    port: 0,
    host: "127.0.0.1",
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl ?? null,
    redisPrefix: options.redisPrefix ?? "reelay-bench:",
    role: options.role ?? "all",
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    pollMinIntervalMs: options.pollMinIntervalMs ?? null,
    pollMaxIntervalMs: options.pollMaxIntervalMs ?? null,
    jwtSecret: BENCH_JWT_SECRET,
    logLevel: "warn",
    mediaDir: options.mediaDir ?? "./.data/bench-media",
    workerConcurrency: options.workerConcurrency ?? 64,
    // The scenarios drive one user and one address far past the per-user limits on purpose
    // (hundreds of creates, a thousand sockets): they measure throughput, so the limits are off.
    rateLimitPerMinute: 0,
    maxActiveTasksPerUser: 0,
    rateLimitAnonPerMinute: 0,
    maxSocketsPerUser: 0,
    maxSubscriptionsPerSocket: 0,
  },
});
const { url } = await app.start();
if (options.channelBaseUrl) {
  await app.services.db.channel.upsert({
    where: { name: "gateway" },
    create: {
      name: "gateway",
      provider: "openai",
      baseUrl: options.channelBaseUrl,
      apiKey: options.channelApiKey ?? "",
      models: ["sora-2"],
    },
    update: {},
  });
}
console.log(JSON.stringify({ url, origin: url.replace(/\/graphql$/, "") }));
process.stdin.resume();
process.stdin.on("end", () => void app.stop().then(() => process.exit(0)));
