import { type ModelPrice, ModelsDocument, PricesDocument, type PriceUnit, SetModelPriceDocument } from "@reelay/client";
import { type FormEvent, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { useToast } from "../../app/toasts";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Field } from "../../components/Field";
import { Page, Section } from "../../components/Page";
import { describeError, type Problem } from "../../lib/errors";
import { parseMoney } from "../../lib/money";
import { formatUnitPrice } from "../../lib/units";

interface Draft {
  model: string;
  size: string;
  price: string;
  unit: PriceUnit | "";
}

const EMPTY: Draft = { model: "", size: "*", price: "", unit: "" };

export default function PricesPage() {
  const [{ data, error }, reexecute] = useQuery({ query: PricesDocument });
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [filter, setFilter] = useState("");
  const prices = (data?.prices ?? []).filter((p) => p.model.toLowerCase().includes(filter.trim().toLowerCase()));
  const change = (p: Pick<ModelPrice, "model" | "size" | "perSecond" | "unit">) => {
    setDraft({ model: p.model, size: p.size, price: p.perSecond, unit: p.unit });
    document.getElementById("price-form-title")?.scrollIntoView({ block: "nearest" });
  };
  return (
    <Page title="Prices" intro="What a unit of each model costs users: the catalogue's defaults, overridden by what you set here.">
      <PriceForm draft={draft} onDraft={setDraft} onSaved={() => reexecute({ requestPolicy: "network-only" })} />
      <Section title="Prices in effect">
        <div className="toolbar">
          <Field label="Filter by model">
            {(c) => <input {...c} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="sora" />}
          </Field>
          <p className="count-text">
            {prices.length} {prices.length === 1 ? "price" : "prices"}
          </p>
        </div>
        <ErrorBanner problem={error ? describeError(error) : null} />
        <div className="table-wrap">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Size</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {prices.map((p) => (
                <tr key={`${p.model} ${p.size}`}>
                  <td data-label="Model">{p.model}</td>
                  <td data-label="Size">{p.size === "*" ? "any size" : p.size}</td>
                  <td className="num" data-label="Price">
                    {formatUnitPrice(p.perSecond, p.unit)}
                  </td>
                  <td data-label="" className="actions-cell">
                    <button type="button" className="small" onClick={() => change(p)}>
                      Change <span className="visually-hidden">{`${p.model} ${p.size === "*" ? "at any size" : `at ${p.size}`}`}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </Page>
  );
}

function PriceForm({ draft, onDraft, onSaved }: { draft: Draft; onDraft: (d: Draft) => void; onSaved: () => void }) {
  const [{ data: models }] = useQuery({ query: ModelsDocument });
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, save] = useMutation(SetModelPriceDocument);
  const toast = useToast();
  const listId = useId();
  const sizesId = useId();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => onDraft({ ...draft, [key]: value });
  const chosen = models?.models.find((m) => m.name === draft.model);
  const sizes = chosen ? [...new Set([...chosen.sizes, ...chosen.sizePrices.map((p) => p.size)])] : [];
  const price = draft.price.trim();
  const valid = parseMoney(price) !== null && !price.startsWith("-");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = {
      model: draft.model.trim(),
      size: draft.size.trim() || "*",
      perSecond: price,
      ...(draft.unit ? { unit: draft.unit } : {}),
    };
    const result = await save({ input });
    if (result.error) return setProblem(describeError(result.error));
    setProblem(null);
    const saved = result.data!.setModelPrice;
    toast(`${saved.model} ${saved.size === "*" ? "at any size" : `at ${saved.size}`}: ${formatUnitPrice(saved.perSecond, saved.unit)}`);
    onDraft({ ...draft, price: "" });
    onSaved();
  };
  return (
    <form className="card form inline-form" onSubmit={submit} aria-labelledby="price-form-title">
      <h2 id="price-form-title">Set a price</h2>
      <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} />
      <div className="row">
        <Field label="Model">
          {(c) => (
            <input {...c} list={listId} required value={draft.model} onChange={(e) => set("model", e.target.value)} autoComplete="off" />
          )}
        </Field>
        <datalist id={listId}>
          {models?.models.map((m) => (
            <option key={m.name} value={m.name} />
          ))}
        </datalist>
        <Field label="Size" hint="WIDTHxHEIGHT, or * for any size.">
          {(c) => (
            <input {...c} list={sizesId} required value={draft.size} onChange={(e) => set("size", e.target.value)} autoComplete="off" />
          )}
        </Field>
        <datalist id={sizesId}>
          <option value="*" />
          {sizes.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </div>
      <div className="row">
        <Field
          label="Price (USD per unit)"
          hint="Per token for token-priced models: 0.0000025 is $2.50 per million."
          error={draft.price && !valid ? "A non-negative amount such as 0.10" : undefined}
        >
          {(c) => (
            <input
              {...c}
              inputMode="decimal"
              required
              value={draft.price}
              onChange={(e) => set("price", e.target.value)}
              placeholder="0.10"
            />
          )}
        </Field>
        <Field label="Unit" hint={chosen ? `The catalogue prices ${chosen.name} per ${chosen.priceUnit.toLowerCase()}.` : undefined}>
          {(c) => (
            <select {...c} value={draft.unit} onChange={(e) => set("unit", e.target.value as PriceUnit | "")}>
              <option value="">The model's own</option>
              <option value="SECOND">Per second</option>
              <option value="IMAGE">Per image</option>
              <option value="TOKEN">Per token</option>
            </select>
          )}
        </Field>
      </div>
      <button type="submit" className="primary" disabled={fetching || !valid}>
        Set price
      </button>
    </form>
  );
}
