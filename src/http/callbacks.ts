import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../context.js";
import { Prisma } from "../generated/prisma/client.js";
import { noteTaskEvent } from "../tasks/events.js";
import { sqlTime } from "../tasks/queue.js";
import { RUNNING_SQL } from "../tasks/status.js";
import { pollBounds } from "../worker/poll-interval.js";

const CALLBACK_PATH = /^\/callbacks\/([a-z0-9-]{1,32})\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{1,100})$/;
/** the largest callback body read; Kling's is a task object of a few hundred bytes */
const MAX_CALLBACK_BYTES = 64 * 1024;

/**
 * Providers that push (Kling's `callback_url`) call `POST /callbacks/<provider>/<task id>/<token>`
 * when a job changes state. The token (callback-urls.ts) is an HMAC of the provider and task id
 * under a key of this deployment, so only the provider that was handed the URL knows it. The
 * body is never trusted: the call only moves the task's next poll to now, and the poll reads
 * the job from the provider's API as usual. A repeated or late call changes nothing more.
 *
 * Answers 204 once the task's next poll is moved (or when the task has ended: nothing to do),
 * 404 for any URL that is not one Reelay handed out, without saying which part is wrong, 413
 * for a body over MAX_CALLBACK_BYTES, 405 for anything but POST.
 */
export async function serveProviderCallback(services: Services, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== "POST") {
    req.resume();
    res.writeHead(405, { allow: "POST", "cache-control": "no-store" }).end();
    return;
  }
  const [, provider, taskId, token] = CALLBACK_PATH.exec(url.pathname) ?? [];
  if (!provider || !services.callbacks.verify(provider, taskId, token)) {
    req.resume();
    res.writeHead(404, { "content-type": "application/json", "cache-control": "no-store" }).end('{"error":"not found"}');
    return;
  }
  if (!(await readBounded(req, MAX_CALLBACK_BYTES))) {
    res.writeHead(413, { connection: "close", "cache-control": "no-store" }).end();
    return;
  }
  await pollSoon(services, provider, taskId);
  res.writeHead(204, { "cache-control": "no-store" }).end();
}

/** Reads the body to its end unless it grows past `limit`; false then (the request is cut off). */
function readBounded(req: IncomingMessage, limit: number): Promise<boolean> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        req.removeAllListeners("data");
        req.pause();
        resolve(false);
      }
    });
    req.on("end", () => resolve(true));
    req.on("error", () => resolve(false));
  });
}

/**
 * Moves a running task's next poll to now: at most one poll per POLL_MIN_INTERVAL_MS however
 * often the provider calls, never later than it was due anyway. While a poll of it is under
 * way the time still changes, and that poll's reschedule keeps it (see PollMarks.claimedDueAt):
 * the change may have come after the provider answered that poll.
 */
async function pollSoon(services: Services, provider: string, taskId: string) {
  const now = services.clock.now();
  const soonest = Prisma.sql`GREATEST(${sqlTime(now)}, "lastPolledAt" + ${pollBounds(services.config).minMs} * interval '1 millisecond')`;
  const moved = await services.db.$executeRaw`
    UPDATE tasks SET "nextPollAt" = CASE WHEN "leaseUntil" >= ${sqlTime(now)} THEN ${soonest} ELSE LEAST("nextPollAt", ${soonest}) END
    WHERE id = ${taskId}::uuid AND provider = ${provider} AND status IN (${RUNNING_SQL}) AND "upstreamId" IS NOT NULL`;
  if (moved > 0) await noteTaskEvent(services, taskId, "CALLBACK", "The provider reported a change; the task is polled now");
}
