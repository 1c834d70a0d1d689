import { type TaskFieldsFragment, TasksDocument } from "@reelay/client";
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { useLiveTasks } from "../app/live-tasks";
import { Link } from "../app/router";
import { ErrorBanner } from "../components/ErrorBanner";
import { Page } from "../components/Page";
import { Pager, usePager } from "../components/Pager";
import { RemixForm } from "../components/RemixForm";
import { TaskMedia } from "../components/TaskMedia";
import { describeError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import { formatTime } from "../lib/time";

const PAGE_SIZE = 12;

export default function GalleryPage() {
  const live = useLiveTasks();
  const pager = usePager();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: TasksDocument,
    variables: { first: PAGE_SIZE, after: pager.after, status: "COMPLETED" },
  });
  const seenVersion = useRef(live.version);
  useEffect(() => {
    if (seenVersion.current === live.version) return;
    seenVersion.current = live.version;
    reexecute({ requestPolicy: "network-only" });
  }, [live.version, reexecute]);
  const tasks = data?.tasks.edges.map((e) => e.node) ?? [];
  return (
    <Page title="Gallery" intro="Finished videos and images, newest first.">
      <ErrorBanner problem={error ? describeError(error) : null} />
      {!data && fetching && <p className="loading">Loading…</p>}
      {data && tasks.length === 0 && (
        <p className="empty">
          Nothing finished yet. <Link to="/create">Create a video</Link>.
        </p>
      )}
      <ul className="gallery" aria-label="Finished media">
        {tasks.map((task) => (
          <GalleryItem key={task.id} task={task} />
        ))}
      </ul>
      <Pager pager={pager} pageInfo={data?.tasks.pageInfo} label="Gallery pages" />
    </Page>
  );
}

function GalleryItem({ task }: { task: TaskFieldsFragment }) {
  const [remixing, setRemixing] = useState(false);
  return (
    <li className="card gallery-item" data-task-id={task.id}>
      <TaskMedia task={task} />
      <div className="gallery-body">
        <p className="task-prompt">{task.prompt}</p>
        <p className="meta">
          {[task.model, task.seconds ? `${task.seconds} s` : null, task.size, formatTime(task.completedAt)].filter(Boolean).join(" · ")}
        </p>
        <div className="task-foot">
          <span className="cost">Charged {formatUsd(task.cost)}</span>
          <div className="actions">
            {task.videoUrl && (
              <a className="button small" href={task.videoUrl} download>
                Download
              </a>
            )}
            {task.mediaType === "VIDEO" && !remixing && (
              <button type="button" className="small" onClick={() => setRemixing(true)}>
                Remix
              </button>
            )}
          </div>
        </div>
        {remixing && <RemixForm task={task} onDone={() => setRemixing(false)} />}
      </div>
    </li>
  );
}
