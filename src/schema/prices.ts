import { ANY_SIZE, listPrices, type Price, priceFor } from "../billing/prices.js";
import { builder } from "../builder.js";
import { findModel } from "../catalogue.js";
import { badInput } from "../errors.js";
import { PriceUnit as PrismaPriceUnit } from "../generated/prisma/enums.js";

const SIZE_PATTERN = /^[1-9]\d{1,4}x[1-9]\d{1,4}$/;

const PriceUnit = builder.enumType(PrismaPriceUnit, {
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
    description: "ADMIN only",
    authScopes: { admin: true },
    args: { input: t.arg({ type: ModelPriceInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const model = input.model.trim();
      if (model === "") throw badInput("model must not be empty", { field: "model" });
      if (input.size !== ANY_SIZE && !SIZE_PATTERN.test(input.size)) throw badInput('size must be WIDTHxHEIGHT or "*"', { field: "size" });
      if (input.perSecond < 0n) throw badInput("a price cannot be negative", { field: "perSecond" });
      const unit = input.unit ?? findModel(model)?.priceUnit ?? "SECOND";
      const { db } = ctx.services;
      await db.modelPrice.upsert({
        where: { model_size: { model, size: input.size } },
        create: { model, size: input.size, unit, price: input.perSecond },
        update: { unit, price: input.perSecond },
      });
      return (await priceFor(db, model, input.size === ANY_SIZE ? null : input.size))!;
    },
  }),
);
