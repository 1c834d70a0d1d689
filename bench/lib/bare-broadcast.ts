// The physical peer of the fan-out path: a plain WebSocket server that forwards every
// message of one Redis channel, as a graphql-ws "next" frame of the same size, to all its
// clients; no GraphQL, no database. argv: redis URL, channel. Prints { url }.
import { createServer } from "node:http";
import { Redis } from "ioredis";
import { WebSocketServer } from "ws";

const [redisUrl, channel] = process.argv.slice(2);
const server = createServer();
const wss = new WebSocketServer({ server });
const redis = new Redis(redisUrl);
await redis.subscribe(channel);
redis.on("message", (_channel: string, message: string) => {
  const { taskId, status, progress } = JSON.parse(message) as { taskId: string; status: string; progress: number };
  const frame = JSON.stringify({ id: "1", type: "next", payload: { data: { taskProgress: { id: taskId, status, progress } } } });
  for (const client of wss.clients) client.send(frame);
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `ws://127.0.0.1:${port}` }));
});
process.stdin.resume();
process.stdin.on("end", () => {
  redis.disconnect();
  for (const client of wss.clients) client.terminate();
  server.close(() => process.exit(0));
});
