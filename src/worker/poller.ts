import { setMaxListeners } from "node:events";
import { costOf } from "../billing/prices.js";
import type { Services } from "../context.js";
import type { Prisma, Task } from "../generated/prisma/client.js";
import { UpstreamError } from "../providers/errors.js";
import { adaptorFor } from "../providers/index.js";
import type { ChannelConfig, UpstreamSnapshot } from "../providers/types.js";
import { channelConfig } from "../tasks/create.js";
import { withLease } from "../tasks/lease.js";
import { completeTask, endTask, recordProgress } from "../tasks/lifecycle.js";
import { createMediaJobs, proxiedMedia, storedMedia, upstreamExpiry } from "./media-jobs.js";
import { type MirroredMedia, mirrorMedia, StorageWriteError } from "./mirror.js";
import { isStreamState, runStream } from "./stream.js";

/** longest wait between looks for due work: new tasks are noticed at least this often */
const MAX_IDLE_MS = 1_000;
const MIN_IDLE_MS = 25;
/** how long a finished poll waits for others to share its reschedule UPDATE */
const SCHEDULE_BATCH_MS = 5;
/** longest pause between claims while every slot is busy */
const BUSY_PAUSE_MS = 20;
/** a busy worker claims again as soon as this share of its slots is free, so claims come in batches */
const CLAIM_BATCH_SHARE = 1 / 4;

export interface Poller {
  readonly workerId: string;
  start(): void;
  /** stops claiming, lets in-flight work finish (or, forced, cuts its provider calls short) and hands leases back */
  close(force?: boolean): Promise<void>;
  /** one claim-and-process round; for tests and benchmarks */
  tick(): Promise<number>;
}

/** A claimed task as the claim returns it: the row after the claim, and the channel it runs on. */
type ClaimedTask = Task & { channel: ChannelConfig; previousLeaseOwner: string | null };

/**
 * Polls every running task on its schedule. Workers share the work through leases in
 * PostgreSQL (FOR UPDATE SKIP LOCKED), so any number can run and none polls a task
 * another is working on; a lease left by a dead worker lapses and is taken over.
 */
export function createPoller(services: Services, options: { workerId?: string } = {}): Poller {
  const { db, config, logger } = services;
  const workerId = options.workerId ?? `worker:${services.instanceId}`;
  const leaseMs = config.leaseMs;
  /** polls, downloads and media jobs under way; each takes one of workerConcurrency slots */
  const inFlight = new Map<string, Promise<void>>();
  /** reschedule UPDATEs not yet committed: they hold no slot, but shutdown waits for them */
  const settling = new Set<Promise<void>>();
  /** ends the claim loop's busy pause early */
  let wakeLoop: (() => void) | null = null;
  /** stops the loop from claiming more work */
  const stop = new AbortController();
  /** cuts in-flight provider calls short: only a forced close does that, a graceful one lets them finish */
  const halt = new AbortController();
  // Every in-flight provider call listens on it: hundreds at once is its purpose, not a leak.
  setMaxListeners(0, halt.signal);
  let loop: Promise<void> | null = null;

  /**
   * Claims up to `limit` due tasks and returns them, each with its channel, in one statement
   * (one round trip per batch). The previous owner is read in the same statement: a lapsed
   * lease still naming one is a takeover. A task without an upstream id is being submitted
   * under its submitter's lease; once that lapses the submitter is gone and the task is
   * failed (see README, "The create window").
   */
  async function claim(limit: number): Promise<ClaimedTask[]> {
    if (limit <= 0) return [];
    const rows = await db.$queryRaw<ClaimedTask[]>`
      WITH due AS (
        SELECT id, "leaseOwner" AS previous FROM tasks
        WHERE status IN ('QUEUED', 'PROCESSING')
          AND "nextPollAt" <= now()
          AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
          AND ("upstreamId" IS NOT NULL OR "leaseOwner" IS NOT NULL OR "createdAt" < now() - ${`${leaseMs} milliseconds`}::interval)
        ORDER BY "nextPollAt"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE tasks SET "leaseOwner" = ${workerId}, "leaseUntil" = now() + ${`${leaseMs} milliseconds`}::interval
        FROM due WHERE tasks.id = due.id
        RETURNING tasks.*, due.previous AS "previousLeaseOwner")
      SELECT claimed.*,
        json_build_object('id', c.id, 'name', c.name, 'provider', c.provider, 'baseUrl', c."baseUrl", 'apiKey', c."apiKey") AS channel
      FROM claimed JOIN channels c ON c.id = claimed."channelId"`;
    const takenOver = rows.filter((r) => r.previousLeaseOwner !== null).map((r) => r.id);
    if (takenOver.length > 0) {
      services.metrics.leaseTakeovers.inc(takenOver.length);
      logger.warn({ tasks: takenOver }, "took over tasks whose lease had lapsed");
    }
    return rows;
  }

  /** Ends this worker's claim and schedules the next poll, never later than the task's deadline. */
  function reschedule(taskId: string, delayMs: number, pollErrors: number, deadlineAt?: Date) {
    scheduleAt(taskId, Date.now() + delayMs, pollErrors, deadlineAt);
  }

  /**
   * The next regular poll, one interval after this one was due rather than after it
   * finished: the time spent waiting for a slot and for the provider does not add up
   * into a slower rhythm. A task that fell behind waits at least half an interval.
   */
  function rescheduleOnRhythm(task: ClaimedTask) {
    const interval = config.pollIntervalMs;
    scheduleAt(task.id, Math.max(task.nextPollAt.getTime() + interval, Date.now() + interval / 2), 0, task.deadlineAt);
  }

  /**
   * The task stays leased to this worker until the batched UPDATE releases it, so nobody
   * else can take it meanwhile and its slot is free for the next task at once. Should the
   * UPDATE fail, the lease lapses and the task is polled again then.
   */
  function scheduleAt(taskId: string, at: number, pollErrors: number, deadlineAt?: Date) {
    const update = schedules
      .add({ taskId, at: Math.min(at, deadlineAt?.getTime() ?? Infinity), pollErrors })
      .catch((err: unknown) => logger.warn({ err, taskId }, "could not reschedule a task; it is polled again when its lease lapses"));
    settling.add(update);
    void update.finally(() => settling.delete(update));
  }

  /**
   * Reschedules (and releases) tasks in batches: the polls that end within a few
   * milliseconds of each other share one UPDATE, which keeps the database work per poll
   * small when a worker polls thousands of tasks.
   */
  const schedules = batched<{ taskId: string; at: number; pollErrors: number }>(SCHEDULE_BATCH_MS, async (batch) => {
    // timestamp(3) columns hold UTC wall-clock time; an ISO string's zone suffix is ignored on the cast.
    await db.$executeRaw`
      UPDATE tasks SET "leaseOwner" = NULL, "leaseUntil" = NULL, "nextPollAt" = v.at::timestamp(3), "pollErrors" = v.errors,
        "updatedAt" = ${new Date().toISOString()}::timestamp(3)
      FROM unnest(${batch.map((b) => b.taskId)}::text[], ${batch.map((b) => new Date(b.at).toISOString())}::text[], ${batch.map((b) => b.pollErrors)}::int[]) AS v(id, at, errors)
      WHERE tasks.id = v.id::uuid AND tasks."leaseOwner" = ${workerId}`;
  });

  /** How long to wait before looking for due tasks again: until the next one is due, within bounds. */
  async function untilNextDue(): Promise<number> {
    const [row] = await db.$queryRaw<{ next: Date | null }[]>`
      SELECT min("nextPollAt") AS next FROM tasks
      WHERE status IN ('QUEUED', 'PROCESSING') AND ("leaseUntil" IS NULL OR "leaseUntil" < now())`;
    const wait = row?.next ? row.next.getTime() - Date.now() : Infinity;
    // Never longer than an interval: a task created meanwhile is due one interval after it was made.
    return Math.min(MAX_IDLE_MS, config.pollIntervalMs, Math.max(MIN_IDLE_MS, wait));
  }

  /** Keeps this worker's lease on a task alive while `work` runs (downloads can take long). */
  const withLeaseRenewal = <T>(taskId: string, work: () => Promise<T>) => withLease(db, { taskId, owner: workerId, ms: leaseMs }, work);

  async function process(claimed: ClaimedTask) {
    const taskId = claimed.id;
    await withLeaseRenewal(taskId, async () => {
      try {
        if (claimed.leaseOwner !== workerId || (claimed.status !== "QUEUED" && claimed.status !== "PROCESSING")) return;
        // The claim reads the key as stored (sealed): opened here, a key that cannot be opened fails this task's poll alone.
        await pollOne({ ...claimed, channel: channelConfig(claimed.channel, services.channelKeys) });
      } catch (err) {
        logger.error({ err, taskId }, "polling a task failed unexpectedly");
        reschedule(taskId, backoff(1), 1);
      }
    });
  }

  const backoff = (errors: number) => Math.min(config.maxPollBackoffMs, config.pollIntervalMs * 2 ** Math.min(errors, 16));

  async function pollOne(task: ClaimedTask) {
    if (!task.upstreamId) {
      // The instance submitting it stopped before recording the provider's answer.
      logger.warn({ taskId: task.id }, "failing a task whose submission never completed");
      await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: "The submission to the provider did not complete" });
      return;
    }
    const adaptor = adaptorFor(task.provider);
    const channel = task.channel;
    const upstream = { upstreamId: task.upstreamId, state: task.upstreamState, model: task.model };
    if (!adaptor) {
      await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: `No adaptor for provider ${task.provider}` });
      return;
    }
    if (adaptor.stream && isStreamState(task.upstreamState)) {
      await runStream(services, task, adaptor, { workerId, signal: halt.signal, finish: (snapshot) => finish(task, snapshot) });
      return;
    }
    if (task.deadlineAt.getTime() <= Date.now()) {
      await endTask(services, task.id, "FAILED", { code: "TIMEOUT", message: "The provider did not finish the task in time" });
      await adaptor.cancel?.({ channel, task: upstream }).catch(() => {});
      return;
    }

    let snapshot: UpstreamSnapshot;
    const timer = services.metrics.pollSeconds.startTimer({ provider: task.provider });
    try {
      snapshot = await adaptor.poll({ channel, task: upstream, signal: halt.signal });
      timer();
    } catch (err) {
      timer();
      services.metrics.upstreamErrors.inc({
        channel: channel.name,
        operation: "poll",
        code: err instanceof UpstreamError ? err.code : "UNEXPECTED",
      });
      if (err instanceof UpstreamError && err.kind === "not_found") {
        await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: "The provider no longer knows this task" });
        return;
      }
      const errors = task.pollErrors + 1;
      const wait = Math.max(backoff(errors), err instanceof UpstreamError ? (err.options.retryAfterMs ?? 0) : 0);
      logger.warn({ taskId: task.id, channel: channel.name, err: String(err), retryInMs: wait }, "poll failed; backing off");
      reschedule(task.id, wait, errors, task.deadlineAt);
      return;
    }

    switch (snapshot.status) {
      case "QUEUED":
      case "PROCESSING":
        await recordProgress(services, task, { status: snapshot.status, progress: snapshot.progress });
        rescheduleOnRhythm(task);
        return;
      case "FAILED":
        await endTask(
          services,
          task.id,
          "FAILED",
          snapshot.error ?? { code: "UPSTREAM_ERROR", message: "The provider reported a failure" },
        );
        return;
      case "CANCELLED":
        await endTask(services, task.id, "CANCELLED", { code: "UPSTREAM_CANCELLED", message: "The provider cancelled the task" });
        return;
      case "COMPLETED":
        await finish(task, snapshot);
        return;
    }
  }

  async function finish(task: ClaimedTask, snapshot: UpstreamSnapshot) {
    const adaptor = adaptorFor(task.provider)!;
    let media: MirroredMedia;
    try {
      media = await mirrorMedia({
        adaptor,
        channel: task.channel,
        task: { id: task.id, upstreamId: task.upstreamId!, state: task.upstreamState, model: task.model, mediaType: task.mediaType },
        snapshot,
        storage: services.storage,
        signal: halt.signal,
      });
    } catch (err) {
      services.metrics.mirrorFailures.inc({ side: err instanceof StorageWriteError ? "storage" : "provider" });
      if (err instanceof StorageWriteError) {
        // The video exists and the provider serves it: complete now, serve it through this
        // server, and mirror it again in the background.
        logger.warn({ taskId: task.id, err: err.message }, "storing the finished media failed; completing with the provider's copy");
        await completeTask(services, task.id, {
          charge: chargeFor(task, snapshot),
          media: proxiedMedia(services, adaptor, snapshot, err),
          seconds: reportedSeconds(task, snapshot),
        });
        return;
      }
      // The provider keeps the media for a while: try again on the next poll.
      const errors = task.pollErrors + 1;
      logger.warn({ taskId: task.id, err: String(err) }, "downloading the finished media failed; will retry");
      reschedule(task.id, backoff(errors), errors, task.deadlineAt);
      return;
    }
    services.metrics.mirrorBytes.inc(media.bytes);
    await completeTask(services, task.id, {
      charge: chargeFor(task, snapshot),
      media: {
        ...storedMedia(services, {
          videoKey: media.videoKey,
          videoType: media.videoType,
          thumbnailKey: media.thumbnailKey,
          thumbnailType: media.thumbnailType,
        }),
        upstreamResult: (snapshot.result ?? null) as Prisma.InputJsonValue,
        upstreamMediaExpiresAt: upstreamExpiry(adaptor, snapshot),
      },
      seconds: reportedSeconds(task, snapshot),
    });
  }

  const media = createMediaJobs(services, workerId, leaseMs);
  let nextMediaSweep = 0;

  async function tick(): Promise<number> {
    if (stop.signal.aborted) return 0;
    const tasks = await claim(config.workerConcurrency - inFlight.size);
    for (const task of tasks) {
      const work = process(task).finally(() => release(task.id));
      inFlight.set(task.id, work);
    }
    return tasks.length + (await sweepMedia());
  }

  /** Mirror retries and retention deletions, at most every mediaSweepIntervalMs. */
  async function sweepMedia(): Promise<number> {
    if (Date.now() < nextMediaSweep) return 0;
    nextMediaSweep = Date.now() + config.mediaSweepIntervalMs;
    const jobs = await media.claim(config.workerConcurrency - inFlight.size);
    for (const job of jobs) {
      const key = `media:${job.id}`;
      const work = withLeaseRenewal(job.id, () => job.run(halt.signal))
        .catch((err) => logger.error({ err, taskId: job.id }, "media work failed unexpectedly"))
        .finally(() => release(key));
      inFlight.set(key, work);
    }
    return jobs.length;
  }

  /** Frees a slot; a busy claim loop waiting for slots goes on once enough are free. */
  function release(key: string) {
    inFlight.delete(key);
    if (wakeLoop && config.workerConcurrency - inFlight.size >= Math.max(1, Math.floor(config.workerConcurrency * CLAIM_BATCH_SHARE)))
      wakeLoop();
  }

  /** Waits up to `ms`, less when the worker stops or (busy) when slots free up. */
  function pause(ms: number, wakeOnFreeSlots: boolean) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop.signal.removeEventListener("abort", done);
        if (wakeLoop === done) wakeLoop = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (stop.signal.aborted) return done();
      stop.signal.addEventListener("abort", done, { once: true });
      if (wakeOnFreeSlots) wakeLoop = done;
    });
  }

  async function run() {
    while (!stop.signal.aborted) {
      const free = config.workerConcurrency - inFlight.size;
      let claimed = 0;
      try {
        claimed = await tick();
      } catch (err) {
        logger.error({ err }, "claiming due tasks failed");
      }
      // Every free slot taken: more may be due; look again shortly, when several slots have
      // freed up, so that one claim and one read serve a batch rather than a single task.
      // Fewer claimed than there was room for: nothing else is due; wait until something is.
      if (claimed >= free) await pause(BUSY_PAUSE_MS, true);
      else await pause(await untilNextDue().catch(() => MAX_IDLE_MS), false);
    }
  }

  return {
    workerId,
    start() {
      loop ??= run();
    },
    tick,
    async close(force = false) {
      stop.abort();
      if (force) halt.abort();
      await loop;
      if (!force) await Promise.allSettled(inFlight.values());
      await Promise.allSettled(settling);
      // Whatever is still claimed goes back to the pool now instead of when the lease lapses.
      await db.task.updateMany({ where: { leaseOwner: workerId }, data: { leaseOwner: null, leaseUntil: null } }).catch(() => {});
    },
  };
}

/** What the task costs: the price of what the provider reports it made, else of what was asked. */
export function chargeFor(task: Pick<Task, "priceUnit" | "unitPrice" | "seconds" | "holdAmount">, snapshot: UpstreamSnapshot): bigint {
  const usage = snapshot.usage ?? {};
  switch (task.priceUnit) {
    case "SECOND":
      return usage.seconds !== undefined ? costOf(task.unitPrice, usage.seconds) : task.holdAmount;
    case "IMAGE":
      return usage.images !== undefined ? costOf(task.unitPrice, usage.images) : task.holdAmount;
    case "TOKEN":
      return usage.tokens !== undefined ? costOf(task.unitPrice, usage.tokens) : task.holdAmount;
  }
}

function reportedSeconds(task: Pick<Task, "seconds">, snapshot: UpstreamSnapshot): number | null {
  const seconds = snapshot.usage?.seconds;
  return seconds !== undefined && Number.isFinite(seconds) ? Math.round(seconds) : task.seconds;
}

/** Collects items for `ms` and hands them to `flush` together; each add settles with its batch. */
function batched<T>(ms: number, flush: (batch: T[]) => Promise<void>) {
  let pending: { item: T; resolve(): void; reject(err: unknown): void }[] = [];
  let _timer: NodeJS.Timeout | null = null;
  const run = () => {
    const batch = pending;
    pending = [];
    _timer = null;
    flush(batch.map((p) => p.item)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  };
  return {
    add(item: T) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        _timer ??= setTimeout(run, ms);
      });
    },
  };
}
