import { RemixVideoDocument, type TaskFieldsFragment } from "@reelay/client";
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { useLiveTasks } from "../app/live-tasks";
import { useToast } from "../app/toasts";
import { describeError, describeTaskError, type Problem } from "../lib/errors";
import { ErrorBanner } from "./ErrorBanner";
import { Field } from "./Field";

/** A new prompt for a finished video; the remix runs on the channel that made it. */
export function RemixForm({ task, onDone }: { task: TaskFieldsFragment; onDone: () => void }) {
  const [prompt, setPrompt] = useState(task.prompt);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, remix] = useMutation(RemixVideoDocument);
  const live = useLiveTasks();
  const toast = useToast();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await remix({ input: { videoId: task.id, prompt } });
    if (result.error) return setProblem(describeError(result.error));
    const made = result.data!.remixVideo;
    live.track(made);
    if (made.status === "FAILED" && made.error)
      return setProblem({ code: made.error.code, title: "The remix was not started", detail: describeTaskError(made.error) });
    toast(`Remix started: ${made.prompt}`);
    onDone();
  };
  return (
    <form className="remix-form" onSubmit={submit}>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <Field label="Remix prompt" hint="What to change; the rest of the video stays.">
        {(control) => <textarea {...control} rows={2} required value={prompt} onChange={(e) => setPrompt(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="button" onClick={onDone}>
          Close
        </button>
        <button type="submit" className="primary" disabled={fetching}>
          {fetching ? "Starting…" : "Start remix"}
        </button>
      </div>
    </form>
  );
}
