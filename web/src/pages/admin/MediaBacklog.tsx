import { MediaBacklogDocument, type MediaBacklogQuery, RetryMirrorDocument } from "@reelay/client";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { useToast } from "../../app/toasts";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { describeError, type Problem } from "../../lib/errors";
import { formatTime } from "../../lib/time";

const BACKLOG_SIZE = 50;

type BacklogTask = MediaBacklogQuery["mediaBacklog"][number];

export default function MediaBacklogPage() {
  const [{ data, error }, reexecute] = useQuery({ query: MediaBacklogDocument, variables: { first: BACKLOG_SIZE } });
  const tasks = data?.mediaBacklog ?? [];
  return (
    <Page
      title="Media backlog"
      intro="Finished tasks whose media is not in storage yet: served from the provider while the copy is retried, or lost."
    >
      <ErrorBanner problem={error ? describeError(error) : null} />
      {data && tasks.length === 0 && <p className="empty">Nothing waiting: every finished task's media is in storage.</p>}
      <ul className="cards" aria-label="Tasks whose media is not stored">
        {tasks.map((task) => (
          <BacklogCard key={task.id} task={task} onRetried={() => reexecute({ requestPolicy: "network-only" })} />
        ))}
      </ul>
    </Page>
  );
}

function BacklogCard({ task, onRetried }: { task: BacklogTask; onRetried: () => void }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, retry] = useMutation(RetryMirrorDocument);
  const toast = useToast();
  const doRetry = async () => {
    const result = await retry({ id: task.id });
    if (result.error) return setProblem(describeError(result.error));
    toast("The copy is retried at the worker's next round");
    onRetried();
  };
  return (
    <li className="card">
      <div className="task-head">
        <p className="task-prompt">{task.prompt}</p>
        <span className={`badge ${task.mediaStatus === "LOST" ? "status-failed" : "status-processing"}`}>
          {task.mediaStatus === "LOST" ? "Lost" : "Proxied"}
        </span>
      </div>
      <dl className="facts">
        <dt>Task</dt>
        <dd>
          <code>{task.id}</code>
        </dd>
        <dt>Model</dt>
        <dd>
          {task.model} on {task.channel}
        </dd>
        <dt>Finished</dt>
        <dd>{formatTime(task.completedAt)}</dd>
        <dt>Attempts</dt>
        <dd>{task.mirror?.attempts ?? 0}</dd>
        {task.mirror?.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="break">{task.mirror.lastError}</dd>
          </>
        )}
        {task.mirror?.nextAttemptAt && (
          <>
            <dt>Next attempt</dt>
            <dd>{formatTime(task.mirror.nextAttemptAt)}</dd>
          </>
        )}
        {task.mirror?.providerCopyExpiresAt && (
          <>
            <dt>Provider's copy until</dt>
            <dd>{formatTime(task.mirror.providerCopyExpiresAt)}</dd>
          </>
        )}
      </dl>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="actions">
        <button type="button" className="small" onClick={doRetry} disabled={fetching}>
          Retry the copy
        </button>
      </div>
    </li>
  );
}
