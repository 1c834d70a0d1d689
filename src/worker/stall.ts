import type { Config } from "../config.js";
import type { Services } from "../context.js";
import type { Task } from "../generated/prisma/client.js";
import type { UpstreamSnapshot } from "../providers/types.js";
import { noteTaskEvent } from "../tasks/events.js";
import { endTask } from "../tasks/lifecycle.js";
import { isTerminal } from "../tasks/status.js";

/**
 * Stall detection: a processing task whose provider reports progress but whose progress has
 * not moved for STALL_AFTER_MS gets one harder check (a poll past any cache); if that shows
 * no movement either and nothing moves for STALL_GRACE_MS after it, the task fails with
 * STALLED and its hold is released. Providers that report no progress (an adaptor's estimate
 * stands in for it) never stall: their tasks end by the deadline.
 */

/** highest progress a running task shows (lifecycle.ts keeps 100 for finished ones) */
const MAX_RUNNING_PROGRESS = 99;

/** What stall detection reads of a task. */
export type StallTask = Pick<Task, "id" | "status" | "progress" | "progressedAt" | "stallCheckAt" | "submittedAt" | "createdAt">;

/** Whether the provider's reading moved the task on: a later status, or more of the progress it reports. */
export function hasMoved(task: Pick<Task, "status" | "progress">, snapshot: UpstreamSnapshot): boolean {
  if (isTerminal(snapshot.status)) return true;
  if (snapshot.status === "PROCESSING" && task.status === "QUEUED") return true;
  if (snapshot.progressEstimated) return false;
  return Math.min(MAX_RUNNING_PROGRESS, Math.round(snapshot.progress ?? 0)) > task.progress;
}

/** The moment the task's reading last moved: measured from its submission when it never has. */
const lastMovedAt = (task: StallTask) => (task.progressedAt ?? task.submittedAt ?? task.createdAt).getTime();

/** Whether this unmoved reading is a stall: a processing job with reported progress, unmoved for STALL_AFTER_MS. */
function isStalled(config: Pick<Config, "stallAfterMs">, task: StallTask, snapshot: UpstreamSnapshot, now: number): boolean {
  if (config.stallAfterMs <= 0 || task.status !== "PROCESSING" || snapshot.status !== "PROCESSING") return false;
  return !snapshot.progressEstimated && now - lastMovedAt(task) >= config.stallAfterMs;
}

/**
 * What to do with an unmoved reading: `none` (no stall, or the check's grace still runs),
 * `moved` (the harder check saw the job move: record that reading instead), `checked` (the
 * harder check saw nothing either: the grace starts now), `failed` (the task ended STALLED).
 */
export type StallVerdict = { kind: "none" } | { kind: "moved"; snapshot: UpstreamSnapshot } | { kind: "checked" } | { kind: "failed" };

/**
 * Judges an unmoved reading of a claimed task. `freshPoll` is the harder check: a poll past any
 * cache, within the channel's budget; null when it could not be made now (no budget, or the
 * provider did not answer), in which case the next poll tries again.
 */
export async function judgeStall(
  services: Services,
  task: StallTask,
  snapshot: UpstreamSnapshot,
  freshPoll: () => Promise<UpstreamSnapshot | null>,
): Promise<StallVerdict> {
  const { config, clock } = services;
  const now = clock.now();
  if (!isStalled(config, task, snapshot, now)) return { kind: "none" };
  const minutes = Math.round((now - lastMovedAt(task)) / 60_000);
  if (task.stallCheckAt === null) {
    const fresh = await freshPoll();
    if (!fresh) return { kind: "none" };
    if (hasMoved(task, fresh)) return { kind: "moved", snapshot: fresh };
    const message = `No progress for ${minutes} min; the provider was asked again past any cache and reports none either`;
    await noteTaskEvent(services, task.id, "STALLED", message, { progress: task.progress });
    return { kind: "checked" };
  }
  if (now - task.stallCheckAt.getTime() < config.stallGraceMs) return { kind: "none" };
  await noteTaskEvent(
    services,
    task.id,
    "STALLED",
    `Still no progress after the check: given up after ${minutes} min at ${task.progress}%`,
    {
      progress: task.progress,
    },
  );
  await endTask(services, task.id, "FAILED", {
    code: "STALLED",
    message: `The provider made no progress on the task for ${minutes} minutes`,
  });
  return { kind: "failed" };
}
