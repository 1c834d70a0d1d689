import { builder, describedValues } from "../builder.js";
import { listModels, type ModelListing } from "../model-listing.js";
import { PriceUnit } from "./prices.js";
import { MediaType } from "./tasks.js";

const ReferenceImageUse = builder.enumType("ReferenceImageUse", {
  description: "whether a model takes a reference image (inputReference or inputReferenceUrl)",
  values: describedValues({
    NONE: "a request with an image is refused",
    ACCEPTED: "an image is optional",
    REQUIRED: "image-to-video: a request without an image is refused",
  }),
});

const ModelAspectRatio = builder.objectRef<{ aspectRatio: string; size: string }>("ModelAspectRatio").implement({
  description: "an aspect ratio a model takes, and the size it selects when no size is given",
  fields: (t) => ({
    aspectRatio: t.exposeString("aspectRatio", { description: "e.g. 16:9" }),
    size: t.exposeString("size", { description: "WIDTHxHEIGHT" }),
  }),
});

const SizePrice = builder.objectRef<ModelListing["sizePrices"][number]>("ModelSizePrice").implement({
  description: "a model's price at one size it makes",
  fields: (t) => ({
    size: t.exposeString("size", { description: "WIDTHxHEIGHT" }),
    pricePerUnit: t.field({
      type: "Money",
      nullable: true,
      description: "USD per priceUnit at this size; null when nothing prices the model at it",
      resolve: (p) => p.price?.price ?? null,
    }),
  }),
});

/** The values a parameter takes, and the one used when a request gives none. */
const allowed = <T>(choice: { allowed: readonly T[] } | null | undefined): T[] => [...(choice?.allowed ?? [])];
const fallback = <T>(choice: { default: T } | null | undefined): T | null => choice?.default ?? null;

const Model = builder.objectRef<ModelListing>("Model").implement({
  description: "a model Reelay knows: what createVideo accepts for it, what it costs, and whether it can be used now",
  fields: (t) => ({
    name: t.string({ description: "the value of CreateVideoInput.model", resolve: (m) => m.spec.id }),
    provider: t.string({ description: "the provider protocol its channels speak", resolve: (m) => m.spec.provider }),
    mediaType: t.field({ type: MediaType, resolve: (m) => m.spec.mediaType }),
    seconds: t.intList({ description: "the seconds it makes; empty when seconds does not apply", resolve: (m) => allowed(m.spec.seconds) }),
    defaultSeconds: t.int({ nullable: true, description: "used when seconds is not given", resolve: (m) => fallback(m.spec.seconds) }),
    sizes: t.stringList({
      description: "WIDTHxHEIGHT sizes it makes; empty when the size is not chosen",
      resolve: (m) => allowed(m.spec.sizes),
    }),
    defaultSize: t.string({
      nullable: true,
      description: "used when neither size nor aspectRatio is given",
      resolve: (m) => fallback(m.spec.sizes),
    }),
    aspectRatios: t.field({
      type: [ModelAspectRatio],
      resolve: (m) => Object.entries(m.spec.aspectRatios).map(([aspectRatio, size]) => ({ aspectRatio, size })),
    }),
    maxPromptLength: t.int({ resolve: (m) => m.spec.maxPromptLength }),
    referenceImage: t.field({ type: ReferenceImageUse, resolve: (m) => m.referenceImage }),
    priceUnit: t.field({
      type: PriceUnit,
      description: "what one unit of pricePerUnit is",
      resolve: (m) => m.price?.unit ?? m.spec.priceUnit,
    }),
    pricePerUnit: t.field({
      type: "Money",
      nullable: true,
      description: "USD per unit at the default size (an operator's price over the default); null when nothing prices the model",
      resolve: (m) => m.price?.price ?? null,
    }),
    sizePrices: t.field({
      type: [SizePrice],
      description:
        "the price per unit at each size it makes (its sizes, else the sizes its aspect ratios select); empty when the size is not chosen",
      resolve: (m) => m.sizePrices,
    }),
    defaultRequestPrice: t.field({
      type: "Money",
      nullable: true,
      description: "what createVideo with only model and prompt (and the image, when required) holds from the balance",
      resolve: (m) => m.defaultRequestPrice,
    }),
    available: t.boolean({
      description: "an enabled channel serves it and its circuit is not open; a task may still wait if every channel is busy",
      resolve: (m) => m.available,
    }),
  }),
});

builder.queryField("models", (t) =>
  t.field({
    type: [Model],
    description: "every model Reelay knows, for building a request",
    authScopes: { loggedIn: true },
    resolve: (_root, _args, ctx) => listModels(ctx.services),
  }),
);
