import { type TaskStatus, TasksDocument } from "@reelay/client";
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { isTerminal, useLiveTasks } from "../app/live-tasks";
import { Link } from "../app/router";
import { ErrorBanner } from "../components/ErrorBanner";
import { Field } from "../components/Field";
import { Page, Section } from "../components/Page";
import { Pager, usePager } from "../components/Pager";
import { TaskRow } from "../components/TaskRow";
import { describeError } from "../lib/errors";

const PAGE_SIZE = 10;
const STATUSES: TaskStatus[] = ["QUEUED", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"];

export default function TasksPage() {
  const live = useLiveTasks();
  const running = live.tasks.filter((t) => !isTerminal(t.status));
  return (
    <Page title="Tasks" intro="Running tasks update live; the history below lists every task you made.">
      <Section title="Running now">
        {running.length === 0 ? (
          <p className="empty">
            Nothing is running. <Link to="/create">Create a video</Link>.
          </p>
        ) : (
          <ul className="task-list" aria-label="Running tasks">
            {running.map((task) => (
              <TaskRow key={task.id} task={task} />
            ))}
          </ul>
        )}
      </Section>
      <History />
    </Page>
  );
}

function History() {
  const live = useLiveTasks();
  const [status, setStatus] = useState<TaskStatus | "">("");
  const pager = usePager();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: TasksDocument,
    variables: { first: PAGE_SIZE, after: pager.after, status: status || null },
  });
  // a task started or ended somewhere: the list is read again
  const seenVersion = useRef(live.version);
  useEffect(() => {
    if (seenVersion.current === live.version) return;
    seenVersion.current = live.version;
    reexecute({ requestPolicy: "network-only" });
  }, [live.version, reexecute]);
  const tasks = data?.tasks.edges.map((e) => live.latest(e.node)) ?? [];
  return (
    <Section title="History">
      <div className="toolbar">
        <Field label="Status">
          {(control) => (
            <select
              {...control}
              value={status}
              onChange={(e) => {
                setStatus(e.target.value as TaskStatus | "");
                pager.reset();
              }}
            >
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.charAt(0) + s.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          )}
        </Field>
        {data && (
          <p className="count-text">
            {data.tasks.totalCount} {data.tasks.totalCount === 1 ? "task" : "tasks"}
          </p>
        )}
      </div>
      <ErrorBanner problem={error ? describeError(error) : null} />
      {!data && fetching && <p className="loading">Loading…</p>}
      {data && tasks.length === 0 && <p className="empty">No tasks{status ? " with this status" : ""}.</p>}
      <ul className="task-list" aria-label="Task history" aria-busy={fetching}>
        {tasks.map((task) => (
          <TaskRow key={task.id} task={task} compact />
        ))}
      </ul>
      <Pager pager={pager} pageInfo={data?.tasks.pageInfo} label="History pages" />
    </Section>
  );
}
