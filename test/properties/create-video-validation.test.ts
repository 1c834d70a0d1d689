/**
 * createVideo's validation, driven by fast-check. For every model of the catalogue, whatever
 * a client sends, validateVideoParams either returns parameters inside the model's spec or
 * refuses with BAD_USER_INPUT naming a field that is at fault, and it accepts exactly what the
 * spec allows. Then a smaller run through the real server: arbitrary createVideo inputs are
 * answered with a task or a contract code, never an internal error, and a refusal moves no money.
 *
 * Every run is seeded, so a failure reproduces; fast-check prints the seed and the shrunk input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allModels, findModel, type ModelSpec } from "../../src/catalogue.js";
import { ErrorCode, ReelayError } from "../../src/errors.js";
import { SIZE_PATTERN } from "../../src/limits.js";
import { type VideoParams, validateVideoParams } from "../../src/tasks/validate.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";

const SEED = 13_2026;
/** runs of each in-process property, per model */
const RUNS_PER_MODEL = 300;
/** runs of the property through the real server: each one is a few HTTP round trips */
const SERVER_RUNS = 30;

/** What createVideo hands to the validation. */
interface ValidationInput {
  prompt: string;
  seconds?: number | null;
  size?: string | null;
  aspectRatio?: string | null;
  hasReference: boolean;
}

type Outcome = { accepted: VideoParams } | { refused: string };

/** The validation's answer; anything thrown but BAD_USER_INPUT naming a field escapes and fails the property. */
function validate(model: string, spec: ModelSpec | undefined, input: ValidationInput): Outcome {
  try {
    return { accepted: validateVideoParams(model, spec, input) };
  } catch (err) {
    if (!(err instanceof ReelayError) || err.code !== ErrorCode.BAD_USER_INPUT) throw err;
    const field = err.extensions.field;
    if (typeof field !== "string") throw new Error(`BAD_USER_INPUT without a field: ${err.message}`);
    return { refused: field };
  }
}

// ---------------------------------------------------------------------------
// The spec, read declaratively: what each field may be, on its own.
// ---------------------------------------------------------------------------

/** Portrait, landscape or square. */
const orientation = (size: string) => {
  const [width, height] = size.split("x").map(Number);
  return Math.sign(width - height);
};

/** The size an aspect ratio selects; only the spec's own keys (never `constructor` or `__proto__`). */
const impliedSize = (spec: ModelSpec, ratio: string): string | undefined =>
  Object.hasOwn(spec.aspectRatios, ratio) ? spec.aspectRatios[ratio] : undefined;

/** Each field the spec does not allow as sent, judged on its own (the aspect ratio against the size). */
function faultsOf(spec: ModelSpec, input: ValidationInput): Set<string> {
  const faults = new Set<string>();
  const prompt = input.prompt.trim();
  if (prompt === "" || prompt.includes("\u0000") || prompt.length > spec.maxPromptLength) faults.add("prompt");
  if (input.hasReference && !spec.acceptsReferenceImage) faults.add("inputReference");
  const seconds = input.seconds ?? null;
  if (seconds !== null && !spec.seconds?.allowed.includes(seconds)) faults.add("seconds");
  const size = input.size ?? null;
  if (size !== null && !(spec.sizes ? spec.sizes.allowed.includes(size) : SIZE_PATTERN.test(size))) faults.add("size");
  const ratio = input.aspectRatio ?? null;
  if (ratio !== null) {
    const implied = impliedSize(spec, ratio);
    if (!implied || (size !== null && !faults.has("size") && orientation(size) !== orientation(implied))) faults.add("aspectRatio");
  }
  return faults;
}

/** The seconds and size a request of fields in spec is made at: what was sent, else what the aspect ratio implies, else the defaults. */
function resolvedOf(spec: ModelSpec, input: ValidationInput) {
  const ratio = input.aspectRatio ?? null;
  return {
    seconds: input.seconds ?? spec.seconds?.default ?? null,
    size: input.size ?? (ratio === null ? undefined : impliedSize(spec, ratio)) ?? spec.sizes?.default ?? null,
  };
}

/** The field the spec's cross-field rule refuses a request of fields in spec for (veo: 1080p only at 8 s; i2v: needs an image). */
const crossFieldFault = (spec: ModelSpec, input: ValidationInput) =>
  spec.check?.({ ...resolvedOf(spec, input), hasReference: input.hasReference })?.field;

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

const WHITESPACE = fc.constantFrom(" ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\ufeff");
const padding = fc.string({ unit: WHITESPACE, maxLength: 3 });
/** names an object inherits: a lookup by key must not find them */
const INHERITED_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
const LONE_SURROGATES = ["\ud800", "\udfff", "a\ud83c"];

/** A prompt the spec allows: 1 to maxPromptLength characters once trimmed, any script, no NUL, maybe padded. */
function promptInSpec(spec: ModelSpec) {
  const text = fc.oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 80 }),
    fc.constantFrom(...LONE_SURROGATES),
    fc.integer({ min: spec.maxPromptLength - 3, max: spec.maxPromptLength }).map((n) => "ä".repeat(n)),
  );
  return fc
    .tuple(padding, text, padding)
    .map(([before, body, after]) => before + body + after)
    .filter((prompt) => {
      const trimmed = prompt.trim();
      return trimmed !== "" && !trimmed.includes("\u0000") && trimmed.length <= spec.maxPromptLength;
    });
}

/** Any number a JSON client or a buggy caller might send as seconds. */
const anySeconds = fc.oneof(
  fc.integer(),
  fc.integer({ min: -200, max: 200 }),
  fc.double(),
  fc.constantFrom(0, -0, -1, 121, 0.5, 4.000001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 2, 1e21),
);

/** Anything shaped roughly like a size, and some that are not. */
const anySize = fc.oneof(
  fc.tuple(fc.integer({ min: -10, max: 100_000 }), fc.integer({ min: -10, max: 100_000 })).map(([w, h]) => `${w}x${h}`),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", "1280x720 ", " 1280x720", "1280X720", "1280x720\n", "1280x720\u0000", "01280x720", "1280×720", "1e3x720"),
);

const anyAspectRatio = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([w, h]) => `${w}:${h}`),
  fc.constantFrom(...INHERITED_NAMES, "16:9 ", "16/9", ""),
);

/** A prompt of any kind: valid, blank, with NUL, unpaired surrogates, or far too long. */
function anyPrompt(limit: number) {
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: fc.constantFrom(" ", "\u0000", "a", "\u00a0", "\ud800"), maxLength: 10 }),
    fc.integer({ min: limit - 2, max: limit + 2 }).map((n) => "x".repeat(n)),
    fc.integer({ min: 0, max: 1 << 20 }).map((n) => `  ${"é".repeat(n)}  `),
  );
}

/** null or absent, as GraphQL gives an omitted field either way. */
const nothing = fc.constantFrom(null, undefined);

/** A request as anyone might send it for this spec: values from the spec mixed with anything at all. */
function anyInput(spec: ModelSpec | undefined): fc.Arbitrary<ValidationInput> {
  const fromSpec = <T>(values: readonly T[] | undefined) => (values?.length ? [fc.constantFrom(...values)] : []);
  return fc.record({
    prompt: fc.oneof(anyPrompt(spec?.maxPromptLength ?? 4_000), ...(spec ? [promptInSpec(spec)] : [])),
    seconds: fc.oneof(nothing, anySeconds, ...fromSpec(spec?.seconds?.allowed)),
    size: fc.oneof(nothing, anySize, ...fromSpec(spec?.sizes?.allowed)),
    aspectRatio: fc.oneof(nothing, anyAspectRatio, ...fromSpec(spec && Object.keys(spec.aspectRatios))),
    hasReference: fc.boolean(),
  });
}

/** A request whose every field is one the spec lists (its cross-field rule aside). */
function inputInSpec(spec: ModelSpec): fc.Arbitrary<ValidationInput> {
  const sizes = spec.sizes?.allowed;
  const anyPatternSize = fc.tuple(fc.integer({ min: 10, max: 99_999 }), fc.integer({ min: 10, max: 99_999 })).map(([w, h]) => `${w}x${h}`);
  const sizeAlone = fc.record({
    size: fc.oneof(nothing, sizes ? fc.constantFrom(...sizes) : anyPatternSize),
    aspectRatio: nothing,
  });
  const ratios = Object.entries(spec.aspectRatios);
  // An aspect ratio alone, or with a size of the same shape.
  const withRatio = ratios.length
    ? [
        fc.constantFrom(...ratios).chain(([ratio, implied]) => {
          const sameShape = (sizes ?? [implied]).filter((s) => orientation(s) === orientation(implied));
          return fc.record({ aspectRatio: fc.constant(ratio), size: fc.oneof(nothing, fc.constantFrom(...sameShape)) });
        }),
      ]
    : [];
  return fc
    .record({
      prompt: promptInSpec(spec),
      seconds: spec.seconds ? fc.oneof(nothing, fc.constantFrom(...spec.seconds.allowed)) : nothing,
      shape: fc.oneof(sizeAlone, ...withRatio),
      hasReference: spec.acceptsReferenceImage ? fc.boolean() : fc.constant(false),
    })
    .map(({ shape, ...rest }) => ({ ...rest, ...shape }));
}

/** One field of an in-spec request replaced by a value the spec does not allow; `field` is the one changed. */
function outOfSpec(spec: ModelSpec): fc.Arbitrary<{ field: string; input: ValidationInput }> {
  const valid = inputInSpec(spec).filter((input) => crossFieldFault(spec, input) === undefined);
  const seconds = spec.seconds;
  const sizes = spec.sizes?.allowed;
  const isRefused = (field: string) => (input: ValidationInput) => faultsOf(spec, input).has(field);
  const perturb = (field: string, change: fc.Arbitrary<Partial<ValidationInput>>) =>
    fc
      .tuple(valid, change)
      .map(([input, changed]) => ({ field, input: { ...input, ...changed } }))
      .filter(({ input }) => isRefused(field)(input));

  const prompts = fc.oneof(
    fc.string({ unit: WHITESPACE, maxLength: 6 }),
    fc.tuple(promptInSpec(spec), fc.nat()).map(([p, at]) => {
      const i = at % (p.length + 1);
      return `${p.slice(0, i)}\u0000${p.slice(i)}`;
    }),
    fc
      .tuple(fc.integer({ min: 1, max: 50 }), fc.constantFrom("a", "漢", "🎬", "é"))
      .map(([extra, unit]) => unit.repeat(Math.ceil((spec.maxPromptLength + extra) / unit.length))),
  );
  const candidates = [
    perturb(
      "prompt",
      prompts.map((prompt) => ({ prompt })),
    ),
    perturb(
      "seconds",
      (seconds ? anySeconds.filter((s) => !seconds.allowed.includes(s)) : anySeconds).map((s) => ({ seconds: s })),
    ),
    perturb(
      "size",
      anySize.map((size) => ({ size })),
    ),
    perturb(
      "aspectRatio",
      anyAspectRatio.map((aspectRatio) => ({ aspectRatio })),
    ),
  ];
  // A size of the other shape than the aspect ratio asked for.
  const ratios = Object.entries(spec.aspectRatios);
  const mismatched = ratios.flatMap(([ratio, implied]) =>
    (sizes ?? []).filter((s) => orientation(s) !== orientation(implied)).map((size) => ({ aspectRatio: ratio, size })),
  );
  if (mismatched.length) candidates.push(perturb("aspectRatio", fc.constantFrom(...mismatched)));
  if (!spec.acceptsReferenceImage) candidates.push(perturb("inputReference", fc.constant({ hasReference: true })));
  // A model that needs an image, sent none.
  if (spec.check?.({ seconds: null, size: null, hasReference: false })?.field === "inputReference")
    candidates.push(inputInSpec(spec).map((input) => ({ field: "inputReference", input: { ...input, hasReference: false } })));
  return fc.oneof(...candidates);
}

/** Parameters returned are inside the spec: the trimmed prompt, listed seconds and size, a known aspect ratio. */
function expectWithinSpec(spec: ModelSpec, input: ValidationInput, params: VideoParams) {
  expect(params.prompt).toBe(input.prompt.trim());
  expect(params.prompt.length).toBeGreaterThan(0);
  expect(params.prompt.length).toBeLessThanOrEqual(spec.maxPromptLength);
  expect(params.prompt).not.toContain("\u0000");
  if (spec.seconds) expect(spec.seconds.allowed).toContain(params.seconds);
  else expect(params.seconds).toBeNull();
  if (spec.sizes) expect(spec.sizes.allowed).toContain(params.size);
  else if (params.size !== null) expect(params.size).toMatch(SIZE_PATTERN);
  if (params.aspectRatio !== null) expect(Object.keys(spec.aspectRatios)).toContain(params.aspectRatio);
  if (input.hasReference) expect(spec.acceptsReferenceImage).toBe(true);
  expect(spec.check?.({ seconds: params.seconds, size: params.size, hasReference: input.hasReference }) ?? null).toBeNull();
  // What was sent is kept; what was not comes from the aspect ratio or the defaults.
  expect({ seconds: params.seconds, size: params.size, aspectRatio: params.aspectRatio }).toEqual({
    ...resolvedOf(spec, input),
    aspectRatio: input.aspectRatio ?? null,
  });
}

describe.each(allModels().map((spec) => [spec.id, spec] as const))("validating a %s request", (model, spec) => {
  it("returns parameters inside the spec, or refuses with BAD_USER_INPUT naming a field at fault, whatever is sent", () => {
    fc.assert(
      fc.property(anyInput(spec), (input) => {
        const outcome = validate(model, spec, input);
        const faults = faultsOf(spec, input);
        const crossField = faults.size === 0 ? crossFieldFault(spec, input) : undefined;
        if ("accepted" in outcome) {
          expect([...faults]).toEqual([]);
          expect(crossField).toBeUndefined();
          expectWithinSpec(spec, input, outcome.accepted);
        } else {
          // refused only when something is at fault, and for one of those things
          expect([...faults, crossField].filter(Boolean)).toContain(outcome.refused);
        }
      }),
      { seed: SEED, numRuns: RUNS_PER_MODEL },
    );
  });

  it("accepts every request built from the values the spec lists, unless its cross-field rule names the field", () => {
    fc.assert(
      fc.property(inputInSpec(spec), (input) => {
        const outcome = validate(model, spec, input);
        const crossField = crossFieldFault(spec, input);
        if (crossField === undefined) {
          expect(outcome).toHaveProperty("accepted");
          if ("accepted" in outcome) expectWithinSpec(spec, input, outcome.accepted);
        } else expect(outcome).toEqual({ refused: crossField });
      }),
      { seed: SEED, numRuns: RUNS_PER_MODEL },
    );
  });

  it("refuses a request with one field out of spec, naming that field", () => {
    fc.assert(
      fc.property(outOfSpec(spec), ({ field, input }) => {
        expect(validate(model, spec, input)).toEqual({ refused: field });
      }),
      { seed: SEED, numRuns: RUNS_PER_MODEL },
    );
  });
});

describe("validating a request for a model the catalogue does not describe", () => {
  it("returns a trimmed prompt, whole positive seconds and a WIDTHxHEIGHT size, or refuses with BAD_USER_INPUT naming a field", () => {
    const unknownModel = fc.string({ minLength: 1, maxLength: 20 }).filter((id) => findModel(id) === undefined);
    fc.assert(
      fc.property(unknownModel, anyInput(undefined), (model, input) => {
        const outcome = validate(model, undefined, input);
        if ("refused" in outcome) {
          expect(["prompt", "seconds", "size"]).toContain(outcome.refused);
          return;
        }
        const params = outcome.accepted;
        expect(params.prompt).toBe(input.prompt.trim());
        expect(params.prompt).not.toBe("");
        expect(params.prompt).not.toContain("\u0000");
        expect(params.seconds === null || (Number.isInteger(params.seconds) && params.seconds > 0)).toBe(true);
        expect(params.size === null || SIZE_PATTERN.test(params.size)).toBe(true);
        expect(params).toMatchObject({ seconds: input.seconds ?? null, size: input.size ?? null, aspectRatio: input.aspectRatio ?? null });
      }),
      { seed: SEED, numRuns: RUNS_PER_MODEL },
    );
  });
});

// ---------------------------------------------------------------------------
// Through the real server
// ---------------------------------------------------------------------------

const CONTRACT_CODES = Object.values(ErrorCode);
const CREDIT = "100";
const SCHEMA_REFUSAL = { message: /^Variable "\$input" got invalid value .* at "input\.seconds"/ };

describe("createVideo through the server", () => {
  // Jobs stay queued upstream, so an accepted task keeps its hold while the run checks it.
  // Rate limits are off: fast-check shrinking a failure replays many more requests.
  const t = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 1_000_000 } },
    config: { rateLimitPerMinute: 0, maxActiveTasksPerUser: 0 },
    channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
  });

  /** Mostly a value the gateway's models take, sometimes anything: about a third of the requests are accepted. */
  const mostly = <T, U>(inSpec: fc.Arbitrary<T>, anything: fc.Arbitrary<U>) =>
    fc.oneof({ weight: 7, arbitrary: inSpec }, { weight: 1, arbitrary: anything });
  const serverInput = fc.record(
    {
      model: mostly(
        fc.constantFrom("sora-2", "sora-2-pro"),
        fc.oneof(fc.constantFrom(...allModels().map((m) => m.id)), fc.string({ unit: "binary", maxLength: 12 })),
      ),
      prompt: mostly(promptInSpec(findModel("sora-2")!), anyPrompt(4_000)),
      // GraphQL Int: 32-bit whole numbers; the schema itself refuses a fraction
      seconds: mostly(
        fc.oneof(nothing, fc.constantFrom(4, 8, 12)),
        fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double({ noNaN: true })),
      ),
      size: mostly(fc.oneof(nothing, fc.constantFrom("720x1280", "1280x720", "1024x1792", "1792x1024")), anySize),
      // names every object inherits are drawn often: they once reached the database as a size
      aspectRatio: fc.oneof(
        { weight: 3, arbitrary: fc.oneof(nothing, fc.constantFrom("9:16", "16:9")) },
        { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...INHERITED_NAMES), anyAspectRatio) },
      ),
      channel: mostly(
        fc.oneof(nothing, fc.constant("gateway")),
        fc.oneof(fc.constant("elsewhere"), fc.string({ unit: "binary", maxLength: 8 })),
      ),
      idempotencyKey: mostly(
        fc.oneof(nothing, fc.uuid()),
        fc.oneof(fc.string({ unit: "binary", maxLength: 20 }), fc.constant("k".repeat(201))),
      ),
    },
    { requiredKeys: ["model", "prompt"] },
  );

  it("answers arbitrary input with a task or a contract code, never an internal error, and a refusal moves no money", async () => {
    let run = 0;
    const { db } = t.app.services;
    await fc.assert(
      fc.asyncProperty(serverInput, async (input) => {
        const subject = `prop-${++run}@server`;
        const token = await tokenFor(subject);
        await grantCredit(t, subject, CREDIT);
        const res = await t.gql(CREATE_VIDEO, { input }, { token });
        const me = (await t.gql(ME, {}, { token })).data!.me;
        const ledger = await ledgerOf(t, subject);
        const tasks = await db.task.findMany({ where: { user: { subject } } });

        if (res.errors) {
          const [error] = res.errors;
          const code = error.extensions?.code;
          expect(CONTRACT_CODES).toContain(code);
          // graphql-js's own refusal of a variable the schema cannot take (a fraction for Int) is the client's to fix
          if (SCHEMA_REFUSAL.message.test(error.message))
            expect({ status: res.status, code }).toEqual({ status: 400, code: "BAD_USER_INPUT" });
          expect(res.data?.createVideo ?? null).toBeNull();
          expect(me).toMatchObject({ balance: CREDIT, held: "0" });
          expect(ledger.map((e) => e.kind)).toEqual(["CREDIT"]);
          expect(tasks).toEqual([]);
        } else {
          const task = res.data!.createVideo;
          expect(tasks.map((row) => row.id)).toHaveLength(1);
          expect(task.prompt).toBe(tasks[0].prompt);
          expect(Number(me.balance) + Number(me.held)).toBe(Number(CREDIT));
        }
      }),
      { seed: SEED, numRuns: SERVER_RUNS },
    );
    expect((await checkMoney(t.database.url)).violations).toEqual([]);
  }, 120_000);
});
