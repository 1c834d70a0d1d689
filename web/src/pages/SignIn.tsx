import { type FormEvent, useState } from "react";
import { ErrorBanner } from "../components/ErrorBanner";
import { Field } from "../components/Field";
import type { Problem } from "../lib/errors";

/** Sign-in with a personal API key (sk-rl-…) or a JWT; the server decides, a refusal says why. */
export function SignInPage({
  onSignIn,
  problem,
  checking,
}: {
  onSignIn: (key: string) => Promise<boolean>;
  problem: Problem | null;
  checking: boolean;
}) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = key.trim();
    if (!value) return;
    setBusy(true);
    const accepted = await onSignIn(value);
    setBusy(false);
    if (accepted) setKey("");
  };
  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} aria-busy={busy || checking}>
        <div className="brand signin-brand">
          <span className="brand-mark" aria-hidden="true" />
          Reelay
        </div>
        <h1>Sign in to the console</h1>
        <p className="intro">Use a personal API key or a token your identity provider issued.</p>
        <ErrorBanner problem={problem} />
        <Field
          label="API key or token"
          hint={
            <>
              An operator makes the first key with <code>npm run -s apikey -- &lt;subject&gt; --admin</code>. It stays in this tab only.
            </>
          }
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder="sk-rl-…"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              required
            />
          )}
        </Field>
        <button type="submit" className="primary wide" disabled={busy || checking}>
          {busy || checking ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
