import type { Services } from "../context.js";
import type { Task } from "../generated/prisma/client.js";
import type { ReferenceImage } from "../media/reference-image.js";
import { UpstreamError } from "../providers/errors.js";
import type { ChannelConfig, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "../providers/types.js";
import { endTask, recordProgress } from "../tasks/lifecycle.js";
import { isTerminal } from "../tasks/status.js";

/** What a streamed task carries from creation to the worker that runs it. */
export interface StreamState {
  stream: true;
  /** set when a worker opened the stream: a stream cannot be resumed by another */
  started: boolean;
  request: Omit<SubmitRequest, "reference"> & { reference: (Omit<ReferenceImage, "bytes"> & { base64: string }) | null };
}

export const isStreamState = (state: unknown): state is StreamState => (state as StreamState | null)?.stream === true;

/** The state saved at creation: the request is replayed by the worker that opens the stream. */
export function streamState(request: SubmitRequest): StreamState {
  const { reference, ...rest } = request;
  return {
    stream: true,
    started: false,
    request: {
      ...rest,
      reference: reference
        ? {
            mimeType: reference.mimeType,
            filename: reference.filename,
            sha256: reference.sha256,
            base64: Buffer.from(reference.bytes).toString("base64"),
          }
        : null,
    },
  };
}

/** how often a running stream checks that its task was not cancelled meanwhile */
const CANCEL_CHECK_MS = 2_000;

/**
 * Runs a push-model task in this worker: opens the stream once, records progress as it
 * arrives (published at once), and hands a finished result to `finish` for mirroring and
 * settlement. A stream that a dead worker had opened cannot be resumed: the task fails
 * and its hold is released.
 */
export async function runStream(
  services: Services,
  task: Task & { channel: ChannelConfig },
  adaptor: ProviderAdaptor,
  options: { workerId: string; signal: AbortSignal; finish: (snapshot: UpstreamSnapshot) => Promise<void> },
) {
  const { db, config, logger } = services;
  const state = task.upstreamState as unknown as StreamState;
  if (state.started) {
    await endTask(services, task.id, "FAILED", {
      code: "UPSTREAM_ERROR",
      message: "The stream was interrupted before the video was ready",
    });
    return;
  }
  const { count } = await db.task.updateMany({
    where: { id: task.id, leaseOwner: options.workerId, status: { in: ["QUEUED", "PROCESSING"] } },
    data: { upstreamState: { ...state, started: true } as never },
  });
  if (count === 0) return;

  const abort = new AbortController();
  const stopWith = () => abort.abort(options.signal.reason);
  options.signal.addEventListener("abort", stopWith, { once: true });
  const cancelled = setInterval(() => {
    void db.task.findUnique({ where: { id: task.id }, select: { status: true } }).then((row) => {
      if (!row || isTerminal(row.status)) abort.abort(new Error("the task ended while streaming"));
    });
  }, CANCEL_CHECK_MS);

  let current: Pick<Task, "id" | "userId" | "status" | "progress"> = task;
  let progressWrites = Promise.resolve();
  const { reference, ...request } = state.request;
  try {
    const snapshot = await adaptor.stream!({
      channel: task.channel,
      request: { ...request, reference: reference ? { ...reference, bytes: Buffer.from(reference.base64, "base64") } : null },
      attempts: config.submitAttempts,
      retryBaseMs: config.submitBackoffMs,
      signal: abort.signal,
      onProgress: (progress) => {
        // One write at a time, in order; each compares against the last state written.
        progressWrites = progressWrites.then(async () => {
          const changed = await recordProgress(services, current, { status: "PROCESSING", progress });
          if (changed) current = changed as typeof current;
        });
      },
    });
    await progressWrites;
    if (snapshot.status === "COMPLETED") await options.finish(snapshot);
    else
      await endTask(
        services,
        task.id,
        snapshot.status === "CANCELLED" ? "CANCELLED" : "FAILED",
        snapshot.error ?? { code: "UPSTREAM_ERROR", message: "The provider reported a failure" },
      );
  } catch (err) {
    await progressWrites.catch(() => {});
    if (abort.signal.aborted && !options.signal.aborted) return; // cancelled by the user: already ended
    const failure =
      err instanceof UpstreamError
        ? {
            code:
              err.kind === "rate_limited"
                ? "RATE_LIMITED"
                : err.kind === "rejected"
                  ? err.code === "CONTENT_POLICY"
                    ? "CONTENT_POLICY"
                    : "UPSTREAM_REJECTED"
                  : "UPSTREAM_ERROR",
            message: err.message,
          }
        : { code: "UPSTREAM_ERROR", message: "The stream failed" };
    if (!(err instanceof UpstreamError)) logger.error({ err, taskId: task.id }, "streaming a task failed unexpectedly");
    await endTask(services, task.id, "FAILED", failure);
  } finally {
    clearInterval(cancelled);
    options.signal.removeEventListener("abort", stopWith);
  }
}
