import { listPrices, type Price, setPrice } from "../billing/prices.js";
import { adminOnly, builder } from "../builder.js";
import { PriceUnit as PrismaPriceUnit } from "../generated/prisma/enums.js";

export const PriceUnit = builder.enumType(PrismaPriceUnit, {
  name: "PriceUnit",
  description: "what one unit of a price is: a second of video, an image, or a provider-reported token",
});

const ModelPrice = builder.objectRef<Price>("ModelPrice").implement({
  fields: (t) => ({
    model: t.exposeString("model"),
    size: t.exposeString("size", { description: "WIDTHxHEIGHT, or * for any size" }),
    perSecond: t.field({
      type: "Money",
      description: "USD per second of output; for IMAGE or TOKEN prices, the price per that unit",
      resolve: (p) => p.price,
    }),
    unit: t.field({ type: PriceUnit, resolve: (p) => p.unit }),
  }),
});

const ModelPriceInput = builder.inputType("ModelPriceInput", {
  fields: (t) => ({
    model: t.string({ required: true }),
    size: t.string({ required: true }),
    perSecond: t.field({ type: "Money", required: true, description: "price per unit (per second unless unit says otherwise)" }),
    unit: t.field({ type: PriceUnit, description: "defaults to the model's unit in the catalogue, else SECOND" }),
  }),
});

builder.queryField("prices", (t) =>
  t.field({
    type: [ModelPrice],
    authScopes: { loggedIn: true },
    resolve: (_root, _args, ctx) => listPrices(ctx.services.db),
  }),
);

builder.mutationField("setModelPrice", (t) =>
  t.field({
    type: ModelPrice,
    ...adminOnly(),
    args: { input: t.arg({ type: ModelPriceInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setPrice(ctx.services.db, { model: input.model, size: input.size, price: input.perSecond, unit: input.unit }, ctx.currentUser!),
  }),
);
