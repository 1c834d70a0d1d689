import type { TaskFieldsFragment } from "@reelay/client";

/** A finished task's video (with its thumbnail as the poster) or image; a note when its media is gone. */
export function TaskMedia({ task }: { task: TaskFieldsFragment }) {
  if (!task.videoUrl) return <div className="media-missing">No media: it expired or could not be kept.</div>;
  if (task.mediaType === "IMAGE") return <img className="media" src={task.videoUrl} alt={`Image: ${task.prompt}`} loading="lazy" />;
  return (
    // biome-ignore lint/a11y/useMediaCaption: providers return generated video without captions, so there is no track to offer
    <video
      className="media"
      src={task.videoUrl}
      poster={task.thumbnailUrl ?? undefined}
      controls
      playsInline
      preload="metadata"
      aria-label={`Video: ${task.prompt}`}
    />
  );
}
