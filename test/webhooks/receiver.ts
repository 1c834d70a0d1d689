/**
 * A webhook receiver on 127.0.0.1 for the webhook tests: records every delivery it is sent
 * and answers as the test tells it (a status, or no answer at all until released).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { until } from "../helpers/wait.js";

export interface ReceivedWebhook {
  /** the path the delivery was POSTed to (each test uses a path of its own) */
  path: string;
  method: string;
  headers: Record<string, string>;
  /** the raw body, exactly as sent */
  body: string;
  /** `reelay-event` */
  event: string;
  /** `webhook-id` */
  id: string;
  /** the body parsed */
  json: Record<string, any>;
}

/** What the receiver answers a delivery with: an HTTP status, or "hold" to keep the request open. */
export type Answer = number | "hold";

export interface Receiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** every delivery, in arrival order */
  received: ReceivedWebhook[];
  /** the deliveries to one path, in arrival order */
  at(path: string): ReceivedWebhook[];
  /** answers for the next deliveries to `path`, in order; 200 once they are used up */
  answer(path: string, ...answers: Answer[]): void;
  /** waits until `path` has received `n` deliveries (bounded), and returns them */
  waitFor(path: string, n: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** answers every held request with `status` */
  releaseHeld(status?: number): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, Answer[]>();
  const held: ServerResponse[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = new URL(req.url ?? "/", "http://receiver").pathname;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let json: Record<string, any> = {};
    try {
      json = JSON.parse(body);
    } catch {
      // recorded as sent; the test's assertions on the body say what was wrong
    }
    received.push({
      path,
      method: req.method ?? "",
      headers,
      body,
      event: headers["reelay-event"] ?? "",
      id: headers["webhook-id"] ?? "",
      json,
    });
    const answer = scripts.get(path)?.shift() ?? 200;
    if (answer === "hold") {
      held.push(res);
      return;
    }
    res.writeHead(answer, { "content-type": "text/plain" }).end(answer >= 300 ? `receiver says ${answer}` : "ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const at = (path: string) => received.filter((r) => r.path === path);
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    at,
    answer(path, ...answers) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]);
    },
    waitFor: (path, n, timeoutMs = 15_000) =>
      until(`${n} webhook deliveries to ${path} (got ${at(path).length})`, () => at(path).length >= n && at(path), timeoutMs),
    releaseHeld(status = 200) {
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(status).end();
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Standard Webhooks verification as a receiver would do it; throws when the signature does not match `secret`. */
export const verifyWith = (secret: string, delivery: ReceivedWebhook) => new Webhook(secret).verify(delivery.body, delivery.headers);
