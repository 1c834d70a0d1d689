import { type ApiKeyFieldsFragment, CreateApiKeyDocument, MyApiKeysDocument, RevokeApiKeyDocument } from "@reelay/client";
import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useToast } from "../app/toasts";
import { useConfirm } from "../components/ConfirmDialog";
import { ErrorBanner } from "../components/ErrorBanner";
import { Field } from "../components/Field";
import { Page, Section } from "../components/Page";
import { describeError, type Problem } from "../lib/errors";
import { formatTime } from "../lib/time";

const KEYS_CONTEXT = { additionalTypenames: ["ApiKey"] };

export default function KeysPage() {
  // with no keys yet the answer names no ApiKey, so the new key's type is declared for the cache to refetch on
  const [{ data, error }] = useQuery({ query: MyApiKeysDocument, context: KEYS_CONTEXT });
  const [created, setCreated] = useState<string | null>(null);
  const keys = data?.me.apiKeys ?? [];
  return (
    <Page title="API keys" intro="Personal keys for scripts and apps: each acts as you, with your role. Reelay keeps only a hash.">
      <ErrorBanner problem={error ? describeError(error) : null} />
      {created && <NewKey value={created} onDone={() => setCreated(null)} />}
      <CreateKeyForm onCreated={setCreated} />
      <Section title="Your keys">{keys.length === 0 ? <p className="empty">No keys yet.</p> : <KeyTable keys={keys} />}</Section>
    </Page>
  );
}

/** The key itself, shown this once. */
function NewKey({ value, onDone }: { value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value);
    setCopied(true);
  };
  return (
    <div className="banner banner-success new-key" role="alert">
      <div>
        <strong>Your new key — copy it now, it is not shown again.</strong>
        <p>
          <code className="secret" data-testid="new-key">
            {value}
          </code>
        </p>
      </div>
      <div className="actions">
        <button type="button" className="small" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="small ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (key: string) => void }) {
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, create] = useMutation(CreateApiKeyDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    // a date means the end of that day where the person is
    const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
    const result = await create({ input: { name: name.trim(), ...(expiresAt ? { expiresAt } : {}) } });
    if (result.error) return setProblem(describeError(result.error));
    onCreated(result.data!.createApiKey.key);
    setName("");
    setExpires("");
  };
  return (
    <form className="card form inline-form" onSubmit={submit} aria-label="New key">
      <h2>New key</h2>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="row">
        <Field label="Name" hint="What the key is for, e.g. “render farm”.">
          {(control) => <input {...control} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Expires" hint="Optional; without a date the key works until revoked.">
          {(control) => (
            <input
              {...control}
              type="date"
              min={new Date().toISOString().slice(0, 10)}
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
          )}
        </Field>
      </div>
      <button type="submit" className="primary" disabled={fetching}>
        Create key
      </button>
    </form>
  );
}

function KeyTable({ keys }: { keys: readonly ApiKeyFieldsFragment[] }) {
  const [dialog, ask] = useConfirm();
  const [{ fetching }, revoke] = useMutation(RevokeApiKeyDocument);
  const [problem, setProblem] = useState<Problem | null>(null);
  const toast = useToast();
  const doRevoke = async (key: ApiKeyFieldsFragment) => {
    const yes = await ask({
      title: `Revoke “${key.name}”?`,
      body: <p>Anything using {key.hint} is refused from now on. If you signed in with it, you are signed out.</p>,
      confirm: "Revoke",
      danger: true,
    });
    if (!yes) return;
    const result = await revoke({ id: key.id });
    if (result.error) return setProblem(describeError(result.error));
    toast(`Revoked ${key.name}`);
  };
  return (
    <>
      {dialog}
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="table-wrap">
        <table className="stack">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} className={key.revokedAt ? "muted" : undefined}>
                <td data-label="Name">{key.name}</td>
                <td data-label="Key">
                  <code>{key.hint}</code>
                </td>
                <td data-label="Created" className="nowrap">
                  {formatTime(key.createdAt)}
                </td>
                <td data-label="Last used" className="nowrap">
                  {key.lastUsedAt ? formatTime(key.lastUsedAt) : "never"}
                </td>
                <td data-label="Expires" className="nowrap">
                  {key.expiresAt ? formatTime(key.expiresAt) : "never"}
                </td>
                <td data-label="" className="actions-cell">
                  {key.revokedAt ? (
                    <span className="badge status-cancelled">Revoked</span>
                  ) : (
                    <button type="button" className="danger small" onClick={() => doRevoke(key)} disabled={fetching}>
                      Revoke <span className="visually-hidden">{key.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
