import {
  type ChannelFieldsFragment,
  ChannelsDocument,
  DeleteChannelDocument,
  ModelsDocument,
  ResetChannelHealthDocument,
  UpdateChannelDocument,
} from "@reelay/client";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { useToast } from "../../app/toasts";
import { useConfirm } from "../../components/ConfirmDialog";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { describeError, type Problem } from "../../lib/errors";
import { formatTime } from "../../lib/time";
import { ChannelForm } from "./ChannelForm";

export default function ChannelsPage() {
  const [{ data, error }, reexecute] = useQuery({ query: ChannelsDocument });
  const [{ data: models }] = useQuery({ query: ModelsDocument });
  const [editing, setEditing] = useState<ChannelFieldsFragment | "new" | null>(null);
  const reload = () => reexecute({ requestPolicy: "network-only" });
  const channels = data?.channels ?? [];
  const catalogue = models?.models ?? [];
  return (
    <Page
      title="Channels"
      intro="Upstream providers and their keys. Tasks go to enabled channels by priority, then by weight."
      actions={
        editing === null && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            Add channel
          </button>
        )
      }
    >
      <ErrorBanner problem={error ? describeError(error) : null} />
      {editing !== null && (
        <ChannelForm
          channel={editing === "new" ? null : editing}
          catalogue={catalogue}
          onDone={(saved) => {
            setEditing(null);
            if (saved) reload();
          }}
        />
      )}
      {data && channels.length === 0 && <p className="empty">No channels yet: add one so that tasks have somewhere to go.</p>}
      <ul className="cards" aria-label="Channels">
        {channels.map((channel) => (
          <ChannelCard key={channel.id} channel={channel} onEdit={() => setEditing(channel)} onChanged={reload} />
        ))}
      </ul>
    </Page>
  );
}

const HEALTH = {
  CLOSED: { label: "Healthy", className: "status-completed" },
  HALF_OPEN: { label: "On trial", className: "status-processing" },
  OPEN: { label: "Out of rotation", className: "status-failed" },
} as const;

function ChannelCard({ channel, onEdit, onChanged }: { channel: ChannelFieldsFragment; onEdit: () => void; onChanged: () => void }) {
  const toast = useToast();
  const [dialog, ask] = useConfirm();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching: updating }, update] = useMutation(UpdateChannelDocument);
  const [{ fetching: resetting }, reset] = useMutation(ResetChannelHealthDocument);
  const [{ fetching: deleting }, remove] = useMutation(DeleteChannelDocument);
  const health = HEALTH[channel.health.state];
  const run = async (result: Promise<{ error?: Parameters<typeof describeError>[0] }>, done: string) => {
    const { error } = await result;
    if (error) return setProblem(describeError(error));
    setProblem(null);
    toast(done);
    onChanged();
  };
  const toggle = () =>
    run(
      update({ name: channel.name, patch: { enabled: !channel.enabled } }),
      `${channel.name} ${channel.enabled ? "disabled" : "enabled"}`,
    );
  const doDelete = async () => {
    const yes = await ask({
      title: `Delete ${channel.name}?`,
      body: <p>It leaves routing at once; its finished tasks stay readable. A channel with running tasks cannot be deleted.</p>,
      confirm: "Delete",
      danger: true,
    });
    if (yes) await run(remove({ name: channel.name }), `${channel.name} deleted`);
  };
  return (
    <li className="card channel" data-channel={channel.name}>
      {dialog}
      <div className="task-head">
        <h2 className="card-title">{channel.name}</h2>
        <div className="badges">
          <span className={`badge ${channel.enabled ? "status-completed" : "status-cancelled"}`}>
            {channel.enabled ? "Enabled" : "Disabled"}
          </span>
          <span className={`badge ${health.className}`}>{health.label}</span>
        </div>
      </div>
      <dl className="facts">
        <dt>Provider</dt>
        <dd>{channel.provider}</dd>
        <dt>Base URL</dt>
        <dd className="break">{channel.baseUrl}</dd>
        <dt>Key</dt>
        <dd>
          <code>{channel.apiKeyHint}</code>
        </dd>
        <dt>Models</dt>
        <dd>{channel.models.join(", ")}</dd>
        <dt>Routing</dt>
        <dd>
          priority {channel.priority}, weight {channel.weight}
        </dd>
        <dt>Running</dt>
        <dd>
          {channel.runningTasks}
          {channel.maxConcurrency === null || channel.maxConcurrency === undefined
            ? " (no limit)"
            : ` of at most ${channel.maxConcurrency}`}
        </dd>
        {channel.health.consecutiveFailures > 0 && (
          <>
            <dt>Failures</dt>
            <dd>{channel.health.consecutiveFailures} in a row</dd>
          </>
        )}
        {channel.health.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="break">
              {channel.health.lastError} ({formatTime(channel.health.lastErrorAt)})
            </dd>
          </>
        )}
        {channel.health.openUntil && channel.health.state === "OPEN" && (
          <>
            <dt>Back at</dt>
            <dd>{formatTime(channel.health.openUntil)}</dd>
          </>
        )}
      </dl>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="actions">
        <button type="button" className="small" onClick={onEdit}>
          Edit <span className="visually-hidden">{channel.name}</span>
        </button>
        <button type="button" className="small" onClick={toggle} disabled={updating}>
          {channel.enabled ? "Disable" : "Enable"} <span className="visually-hidden">{channel.name}</span>
        </button>
        {(channel.health.state !== "CLOSED" || channel.health.consecutiveFailures > 0) && (
          <button
            type="button"
            className="small"
            onClick={() => run(reset({ name: channel.name }), `${channel.name} back in rotation`)}
            disabled={resetting}
          >
            Reset health
          </button>
        )}
        <button type="button" className="small danger" onClick={doDelete} disabled={deleting}>
          Delete <span className="visually-hidden">{channel.name}</span>
        </button>
      </div>
    </li>
  );
}
