import type { Task } from "../generated/prisma/client.js";
import { type MediaSigner, taskMediaUrl } from "../http/media.js";
import type { MediaStorage } from "../storage/types.js";

/** OpenAI's words for where a video job is. */
export type OpenAIVideoStatus = "queued" | "in_progress" | "completed" | "failed";

/** A task in the shape of OpenAI's Video object, as every REST answer and webhook body carries it. */
export interface OpenAIVideo {
  id: string;
  object: "video";
  model: string;
  status: OpenAIVideoStatus;
  progress: number;
  prompt: string;
  /** seconds as a string, as OpenAI writes them */
  seconds: string | null;
  size: string | null;
  /** Unix seconds */
  created_at: number;
  completed_at: number | null;
  /** when the stored media is deleted (MEDIA_RETENTION_DAYS); null when it is kept */
  expires_at: number | null;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

const OPENAI_STATUS: Record<Task["status"], OpenAIVideoStatus> = {
  QUEUED: "queued",
  PROCESSING: "in_progress",
  COMPLETED: "completed",
  FAILED: "failed",
  // OpenAI's protocol knows no cancelled state: a cancelled job is a failed one whose code says why
  CANCELLED: "failed",
};

const unixSeconds = (at: Date | null) => (at ? Math.floor(at.getTime() / 1000) : null);

export type VideoTaskRow = Pick<
  Task,
  | "id"
  | "model"
  | "status"
  | "progress"
  | "prompt"
  | "seconds"
  | "size"
  | "createdAt"
  | "completedAt"
  | "mediaExpiresAt"
  | "remixedFromId"
  | "errorCode"
  | "errorMessage"
>;

export function openAIVideoOf(task: VideoTaskRow): OpenAIVideo {
  return {
    id: task.id,
    object: "video",
    model: task.model,
    status: OPENAI_STATUS[task.status],
    progress: task.status === "COMPLETED" ? 100 : task.progress,
    prompt: task.prompt,
    seconds: task.seconds === null ? null : String(task.seconds),
    size: task.size,
    created_at: unixSeconds(task.createdAt)!,
    completed_at: unixSeconds(task.completedAt),
    expires_at: unixSeconds(task.mediaExpiresAt),
    remixed_from_video_id: task.remixedFromId,
    error: errorOf(task),
  };
}

function errorOf(task: VideoTaskRow): OpenAIVideo["error"] {
  if (task.status === "CANCELLED")
    return { code: (task.errorCode ?? "CANCELLED").toLowerCase(), message: task.errorMessage ?? "The task was cancelled" };
  if (task.status !== "FAILED") return null;
  return { code: (task.errorCode ?? "UPSTREAM_ERROR").toLowerCase(), message: task.errorMessage ?? "The task failed" };
}

/** Where the finished media can be fetched without credentials (signed or public), for routes that hand out URLs. */
export function mediaUrlsOf(
  services: { storage: MediaStorage; signer: MediaSigner },
  task: Pick<Task, "id" | "mediaStatus" | "videoKey" | "thumbnailKey">,
): { video: string | null; thumbnail: string | null } {
  return { video: taskMediaUrl(services, task, "video"), thumbnail: taskMediaUrl(services, task, "thumbnail") };
}
