import { CancelTaskDocument, type TaskFieldsFragment } from "@reelay/client";
import { useState } from "react";
import { useMutation } from "urql";
import { isTerminal, useLiveTasks } from "../app/live-tasks";
import { useToast } from "../app/toasts";
import { describeError, describeTaskError, type Problem } from "../lib/errors";
import { formatUsd } from "../lib/money";
import { formatTime } from "../lib/time";
import { ErrorBanner } from "./ErrorBanner";
import { ProgressBar } from "./ProgressBar";
import { RemixForm } from "./RemixForm";
import { StatusBadge } from "./StatusBadge";

/**
 * One task: what it is, where it stands, what it cost, and cancel or remix. `compact` (the
 * history) leaves the progress bar and Cancel of a running task to the live list above it.
 */
export function TaskRow({ task, compact = false }: { task: TaskFieldsFragment; compact?: boolean }) {
  const live = useLiveTasks();
  const toast = useToast();
  const [remixing, setRemixing] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching: cancelling }, cancel] = useMutation(CancelTaskDocument);
  const running = !isTerminal(task.status);
  // a running task the live list shows is not shown twice in full
  const brief = compact && running && live.tasks.some((t) => t.id === task.id);
  const doCancel = async () => {
    const result = await cancel({ id: task.id });
    if (result.error) return setProblem(describeError(result.error));
    live.track(result.data!.cancelTask);
    toast(`Cancelled: ${task.prompt}; its hold is released`);
  };
  return (
    <li className="task" data-task-id={task.id} data-status={task.status}>
      <div className="task-head">
        <p className="task-prompt">{task.prompt}</p>
        <StatusBadge status={task.status} />
      </div>
      <p className="meta">
        {[task.model, task.seconds ? `${task.seconds} s` : null, task.size, formatTime(task.createdAt)].filter(Boolean).join(" · ")}
      </p>
      {running && !brief && <ProgressBar value={task.progress} label={`Progress of “${task.prompt}”`} status={task.status} />}
      {brief && <p className="meta">{task.progress}% done: it is under Running now</p>}
      {task.error && <p className="task-error">{describeTaskError(task.error)}</p>}
      <div className="task-foot">
        <span className="cost">
          {running ? "Held" : "Charged"} {formatUsd(task.cost)}
        </span>
        <div className="actions">
          {running && !brief && (
            <button type="button" className="danger small" onClick={doCancel} disabled={cancelling}>
              {cancelling ? "Cancelling…" : "Cancel"}
            </button>
          )}
          {task.status === "COMPLETED" && task.mediaType === "VIDEO" && !remixing && (
            <button type="button" className="small" onClick={() => setRemixing(true)}>
              Remix
            </button>
          )}
        </div>
      </div>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      {remixing && <RemixForm task={task} onDone={() => setRemixing(false)} />}
    </li>
  );
}
