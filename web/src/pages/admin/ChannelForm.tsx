import { type ChannelFieldsFragment, type ModelsQuery, UpdateChannelDocument, UpsertChannelDocument } from "@reelay/client";
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { useToast } from "../../app/toasts";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Field } from "../../components/Field";
import { describeError, type Problem } from "../../lib/errors";

type Catalogue = ModelsQuery["models"];

interface Draft {
  name: string;
  provider: string;
  baseUrl: string;
  apiKey: string;
  models: string[];
  otherModels: string;
  priority: string;
  weight: string;
  maxConcurrency: string;
  enabled: boolean;
}

function draftOf(channel: ChannelFieldsFragment | null, catalogue: Catalogue): Draft {
  const known = new Set(catalogue.map((m) => m.name));
  return {
    name: channel?.name ?? "",
    // the OpenAI Videos protocol is what most gateways speak
    provider: channel?.provider ?? (catalogue.some((m) => m.provider === "openai") ? "openai" : (catalogue[0]?.provider ?? "openai")),
    baseUrl: channel?.baseUrl ?? "",
    apiKey: "",
    models: channel?.models.filter((m) => known.has(m)) ?? [],
    otherModels: channel?.models.filter((m) => !known.has(m)).join(", ") ?? "",
    priority: String(channel?.priority ?? 0),
    weight: String(channel?.weight ?? 1),
    maxConcurrency: channel?.maxConcurrency === null || channel?.maxConcurrency === undefined ? "" : String(channel.maxConcurrency),
    enabled: channel?.enabled ?? true,
  };
}

/** The models a draft names: the ticked ones of its provider, then any typed by hand. */
function modelsOf(draft: Draft, catalogue: Catalogue): string[] {
  const ofProvider = new Set(catalogue.filter((m) => m.provider === draft.provider).map((m) => m.name));
  const typed = draft.otherModels
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  return [...new Set([...draft.models.filter((m) => ofProvider.has(m)), ...typed])];
}

/**
 * Adds a channel, or edits one: an edit sends only the fields given and never needs the key
 * again (an empty key field keeps the stored one).
 */
export function ChannelForm({
  channel,
  catalogue,
  onDone,
}: {
  channel: ChannelFieldsFragment | null;
  catalogue: Catalogue;
  onDone: (saved: boolean) => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(channel, catalogue));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching: adding }, upsert] = useMutation(UpsertChannelDocument);
  const [{ fetching: saving }, update] = useMutation(UpdateChannelDocument);
  const toast = useToast();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const providers = [...new Set([...catalogue.map((m) => m.provider), draft.provider])].sort();
  const providerModels = catalogue.filter((m) => m.provider === draft.provider);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const models = modelsOf(draft, catalogue);
    if (models.length === 0) return setProblem({ code: "BAD_USER_INPUT", title: "Check the form", detail: "Pick at least one model." });
    const fields = {
      name: draft.name.trim(),
      provider: draft.provider,
      baseUrl: draft.baseUrl.trim(),
      models,
      priority: Number(draft.priority),
      weight: Number(draft.weight),
      maxConcurrency: draft.maxConcurrency === "" ? null : Number(draft.maxConcurrency),
      enabled: draft.enabled,
    };
    const result = channel
      ? await update({
          name: channel.name,
          // the provider is part of what a channel is; a different one is a new channel
          patch: { ...withoutProvider(fields), ...(draft.apiKey ? { apiKey: draft.apiKey } : {}) },
        })
      : await upsert({ input: { ...fields, apiKey: draft.apiKey } });
    if (result.error) return setProblem(describeError(result.error));
    toast(channel ? `${fields.name} saved` : `${fields.name} added`);
    onDone(true);
  };

  return (
    <form className="card form" onSubmit={submit} aria-labelledby="channel-form-title">
      <h2 id="channel-form-title">{channel ? `Edit ${channel.name}` : "New channel"}</h2>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="row">
        <Field label="Name">
          {(c) => <input {...c} required value={draft.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" />}
        </Field>
        <Field label="Provider" hint={channel ? "Fixed for an existing channel." : undefined}>
          {(c) => (
            <select {...c} value={draft.provider} onChange={(e) => set("provider", e.target.value)} disabled={channel !== null}>
              {providers.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field label="Base URL" hint="The provider's origin, without /v1: e.g. https://newapi.example.com">
        {(c) => <input {...c} type="url" required value={draft.baseUrl} onChange={(e) => set("baseUrl", e.target.value)} />}
      </Field>
      <Field
        label="API key"
        hint={
          channel ? `Leave empty to keep the stored key (${channel.apiKeyHint}).` : "Stored encrypted; only a hint is shown afterwards."
        }
      >
        {(c) => (
          <input
            {...c}
            type="password"
            autoComplete="new-password"
            required={!channel}
            value={draft.apiKey}
            onChange={(e) => set("apiKey", e.target.value)}
          />
        )}
      </Field>
      <fieldset className="field">
        <legend>Models</legend>
        <div className="checks">
          {providerModels.map((m) => (
            <label key={m.name} className="check">
              <input
                type="checkbox"
                checked={draft.models.includes(m.name)}
                onChange={(e) => set("models", e.target.checked ? [...draft.models, m.name] : draft.models.filter((x) => x !== m.name))}
              />
              {m.name}
            </label>
          ))}
        </div>
        <Field label="Other models" hint="Comma-separated names the provider serves beyond Reelay's catalogue.">
          {(c) => <input {...c} value={draft.otherModels} onChange={(e) => set("otherModels", e.target.value)} />}
        </Field>
      </fieldset>
      <div className="row">
        <Field label="Priority" hint="Higher goes first.">
          {(c) => <input {...c} type="number" step={1} value={draft.priority} onChange={(e) => set("priority", e.target.value)} required />}
        </Field>
        <Field label="Weight" hint="1 to 1000, among equal priorities.">
          {(c) => (
            <input {...c} type="number" min={1} max={1000} value={draft.weight} onChange={(e) => set("weight", e.target.value)} required />
          )}
        </Field>
        <Field label="Most running tasks" hint="Empty: no limit.">
          {(c) => (
            <input {...c} type="number" min={1} value={draft.maxConcurrency} onChange={(e) => set("maxConcurrency", e.target.value)} />
          )}
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} />
        Enabled: takes new tasks
      </label>
      <div className="actions">
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={adding || saving}>
          {channel ? "Save channel" : "Add channel"}
        </button>
      </div>
    </form>
  );
}

function withoutProvider<T extends { provider: string }>({ provider: _provider, ...rest }: T): Omit<T, "provider"> {
  return rest;
}
