import { CreateVideoDocument, ModelsDocument } from "@reelay/client";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useAccount } from "../app/account";
import { useLiveTasks } from "../app/live-tasks";
import { navigate } from "../app/router";
import { useToast } from "../app/toasts";
import { ErrorBanner } from "../components/ErrorBanner";
import { Field } from "../components/Field";
import { ImageDrop } from "../components/ImageDrop";
import { Page } from "../components/Page";
import { describeError, describeTaskError, type Problem } from "../lib/errors";
import { formatUsd, parseMoney } from "../lib/money";
import { type Choice, type ModelInfo, quoteFor } from "../lib/price";
import { formatUnitPrice } from "../lib/units";

const NO_CHOICE: Choice = { seconds: null, size: null, aspectRatio: null };

/** The models a person can pick: those a channel serves first, videos before images, then by name. */
function byAvailability(models: readonly ModelInfo[]): ModelInfo[] {
  const rank = (m: ModelInfo) => (m.available ? 0 : 2) + (m.mediaType === "VIDEO" ? 0 : 1);
  return [...models].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export function CreatePage() {
  const [{ data, error: modelsError }] = useQuery({ query: ModelsDocument });
  const models = useMemo(() => byAvailability(data?.models ?? []), [data]);
  const [modelName, setModelName] = useState("");
  const model = models.find((m) => m.name === modelName) ?? models[0];
  useEffect(() => {
    if (!modelName && models[0]) setModelName(models[0].name);
  }, [models, modelName]);

  return (
    <Page title="Create" intro="Describe a video (or an image), pick how long and how large, and Reelay starts it on a channel.">
      <ErrorBanner problem={modelsError ? describeError(modelsError) : null} />
      {!data && !modelsError && <p className="loading">Loading models…</p>}
      {model && <CreateForm models={models} model={model} onModel={setModelName} />}
    </Page>
  );
}

function CreateForm({ models, model, onModel }: { models: ModelInfo[]; model: ModelInfo; onModel: (name: string) => void }) {
  const { me } = useAccount();
  const live = useLiveTasks();
  const toast = useToast();
  const [prompt, setPrompt] = useState("");
  // each model keeps its own choice, so switching back and forth loses nothing (the prompt is shared)
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const choice = choices[model.name] ?? { ...NO_CHOICE, seconds: model.defaultSeconds ?? null, size: model.defaultSize ?? null };
  const setChoice = (next: Choice) => setChoices((all) => ({ ...all, [model.name]: next }));
  const [image, setImage] = useState<File | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, createVideo] = useMutation(CreateVideoDocument);
  const quote = quoteFor(model, choice);
  const balance = parseMoney(me.balance) ?? 0n;
  const short = quote !== null && quote.amount > balance;
  const noun = model.mediaType === "IMAGE" ? "image" : "video";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const input = {
      model: model.name,
      prompt,
      ...(model.seconds.length > 0 && choice.seconds !== null ? { seconds: choice.seconds } : {}),
      ...(choice.size ? { size: choice.size } : {}),
      ...(choice.aspectRatio ? { aspectRatio: choice.aspectRatio } : {}),
      ...(image && model.referenceImage !== "NONE" ? { inputReference: image } : {}),
    };
    const result = await createVideo({ input });
    if (result.error) return setProblem(describeError(result.error));
    const task = result.data!.createVideo;
    live.track(task);
    // a provider that refuses the request at once (its content policy, say) ends the task before it runs
    if (task.status === "FAILED" && task.error) {
      return setProblem({ code: task.error.code, title: `The ${noun} was not started`, detail: describeTaskError(task.error) });
    }
    toast(`Started: ${task.prompt}`);
    navigate("/tasks");
  };

  return (
    <form className="card form create-form" onSubmit={submit}>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <Field label="Model" hint={modelHint(model)}>
        {(control) => (
          <select {...control} value={model.name} onChange={(e) => onModel(e.target.value)}>
            <ModelOptions models={models} />
          </select>
        )}
      </Field>
      <Field label="Prompt" hint={`${prompt.length} of ${model.maxPromptLength} characters`}>
        {(control) => (
          <textarea
            {...control}
            rows={4}
            required
            maxLength={model.maxPromptLength}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            placeholder="A red fox running through fresh snow at dawn"
          />
        )}
      </Field>
      <div className="row">
        <ShapePickers model={model} choice={choice} onChoice={setChoice} />
      </div>
      {model.referenceImage !== "NONE" && <ImageDrop file={image} onFile={setImage} required={model.referenceImage === "REQUIRED"} />}
      <div className="price-panel" aria-live="polite">
        <div className="price-item">
          <span className="label">Price</span>
          <strong data-testid="price">{quote ? formatUsd(quote.amount) : "—"}</strong>
          <span className="hint">{quoteHint(quote, model)}</span>
        </div>
        <div className="price-item">
          <span className="label">Your balance</span>
          <strong>{formatUsd(me.balance)}</strong>
          {short && <span className="warning-text">Your balance does not cover this {noun}.</span>}
        </div>
      </div>
      <button type="submit" className="primary" disabled={fetching}>
        {fetching ? "Starting…" : `Create ${noun}`}
      </button>
    </form>
  );
}

function ModelOptions({ models }: { models: ModelInfo[] }) {
  const groups = [
    { label: "Served now", models: models.filter((m) => m.available) },
    { label: "No channel serves these yet", models: models.filter((m) => !m.available) },
  ];
  return groups
    .filter((g) => g.models.length > 0)
    .map((g) => (
      <optgroup key={g.label} label={g.label}>
        {g.models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name} ({m.provider}, {m.mediaType === "IMAGE" ? "image" : "video"})
          </option>
        ))}
      </optgroup>
    ));
}

/** Seconds, then size or aspect ratio: only what the model takes. */
function ShapePickers({ model, choice, onChoice }: { model: ModelInfo; choice: Choice; onChoice: (c: Choice) => void }) {
  return (
    <>
      {model.seconds.length > 0 && (
        <Field label="Length">
          {(control) => (
            <select {...control} value={choice.seconds ?? ""} onChange={(e) => onChoice({ ...choice, seconds: Number(e.target.value) })}>
              {model.seconds.map((s) => (
                <option key={s} value={s}>
                  {s} seconds
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {model.sizes.length > 0 ? (
        <Field label="Size">
          {(control) => (
            <select {...control} value={choice.size ?? ""} onChange={(e) => onChoice({ ...choice, size: e.target.value })}>
              {model.sizes.map((s) => (
                <option key={s} value={s}>
                  {s.replace("x", " × ")}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : (
        model.aspectRatios.length > 0 && (
          <Field label="Aspect ratio">
            {(control) => (
              <select
                {...control}
                value={choice.aspectRatio ?? ""}
                onChange={(e) => onChoice({ ...choice, aspectRatio: e.target.value || null })}
              >
                <option value="">The model's default</option>
                {model.aspectRatios.map((a) => (
                  <option key={a.aspectRatio} value={a.aspectRatio}>
                    {a.aspectRatio} ({a.size.replace("x", " × ")})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )
      )}
    </>
  );
}

function modelHint(model: ModelInfo): string {
  const image = { NONE: "no reference image", ACCEPTED: "a reference image is optional", REQUIRED: "needs a reference image" }[
    model.referenceImage
  ];
  return `${model.available ? "A channel serves it now" : "No channel serves it yet: a task would be refused"}; ${image}.`;
}

function quoteHint(quote: ReturnType<typeof quoteFor>, model: ModelInfo): string {
  if (!quote) return "Not priced for this choice: an admin sets prices.";
  const per = formatUnitPrice(quote.unitPrice, quote.unit);
  if (quote.unit === "SECOND") return `Held now: ${quote.units} s at ${per}; released in full if it fails or is cancelled.`;
  if (quote.unit === "TOKEN")
    return `Held now, at most: ${quote.units.toLocaleString()} tokens at ${per}; charged for what ${model.name} reports.`;
  return `Held now: ${per}; released in full if it fails or is cancelled.`;
}
