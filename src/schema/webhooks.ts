import { builder } from "../builder.js";
import { badInput } from "../errors.js";
import { WEBHOOK_EVENTS, type WebhookEvent as WebhookEventName } from "../webhooks/events.js";
import { ROTATION_GRACE_MS, rotateWebhookSecret, webhookSecretOf } from "../webhooks/secret.js";

/** The events a task's webhook can be sent: GraphQL spells them in capitals, REST and the docs in lower case. */
export const WebhookEvent = builder.enumType("WebhookEvent", {
  description: "a task change a webhook reports; see docs/webhooks.md",
  values: Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event.toUpperCase(), { value: event }])) as Record<
    Uppercase<WebhookEventName>,
    { value: WebhookEventName }
  >,
});

/** deliveries listed on a task unless the client asks for fewer or more */
const DEFAULT_DELIVERIES_LISTED = 50;
const MAX_DELIVERIES_LISTED = 500;

builder.prismaObject("WebhookDelivery", {
  description: "one event of a task sent to its webhookUrl, with every attempt counted",
  fields: (t) => ({
    id: t.exposeID("id", { description: "the Standard Webhooks message id, sent as webhook-id on every attempt" }),
    event: t.field({ type: WebhookEvent, select: { event: true }, resolve: (d) => d.event as WebhookEventName }),
    attempts: t.exposeInt("attempts", { description: "attempts made so far, the one under way included" }),
    lastStatus: t.exposeInt("lastStatus", {
      nullable: true,
      description: "the receiver's HTTP status on the last attempt; null when none answered",
    }),
    lastError: t.exposeString("lastError", { nullable: true, description: "why the last attempt failed; null once delivered" }),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "when it is tried next; null once delivered or given up",
      select: { nextAttemptAt: true, deliveredAt: true, gaveUpAt: true },
      resolve: (d) => (d.deliveredAt || d.gaveUpAt ? null : d.nextAttemptAt),
    }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true, description: "when the receiver answered 2xx" }),
    gaveUpAt: t.expose("gaveUpAt", {
      type: "DateTime",
      nullable: true,
      description: "when retrying stopped, WEBHOOK_RETRY_FOR_MS after the event, without a 2xx",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "when the event happened" }),
  }),
});

// The task is only ever reachable by its owner or an admin (videoTask, tasks, node), and so are its deliveries.
builder.prismaObjectField("Task", "webhookDeliveries", (t) =>
  t.relation("webhookDeliveries", {
    description: `the latest events sent to webhookUrl, newest first (at most ${MAX_DELIVERIES_LISTED})`,
    args: { last: t.arg.int({ defaultValue: DEFAULT_DELIVERIES_LISTED, description: `how many, 1 to ${MAX_DELIVERIES_LISTED}` }) },
    query: ({ last }) => {
      if (!Number.isInteger(last) || last! < 1 || last! > MAX_DELIVERIES_LISTED) {
        throw badInput(`last must be 1 to ${MAX_DELIVERIES_LISTED}`, { field: "last" });
      }
      return { orderBy: { seq: "desc" }, take: last! };
    },
  }),
);

builder.prismaObjectFields("Task", (t) => ({
  webhookUrl: t.exposeString("webhookUrl", { nullable: true, description: "where the task's events are POSTed; null: no webhook" }),
  webhookEvents: t.field({
    type: [WebhookEvent],
    description: "the events sent to webhookUrl; every event when empty",
    select: { webhookEvents: true },
    resolve: (task) => task.webhookEvents as WebhookEventName[],
  }),
}));

builder.prismaObjectField("User", "webhookSecret", (t) =>
  t.string({
    nullable: true,
    description:
      "the whsec_ secret your webhook deliveries are signed with (Standard Webhooks), made on first read; null for anyone but the user themselves",
    select: { id: true },
    resolve: (user, _args, ctx) => (ctx.currentUser?.id === user.id ? webhookSecretOf(ctx.services, user.id) : null),
  }),
);

builder.mutationField("rotateWebhookSecret", (t) =>
  t.string({
    description: `replaces the caller's webhook signing secret and returns the new one; for ${ROTATION_GRACE_MS / 3600_000} hours deliveries carry a signature with the old secret too`,
    authScopes: { loggedIn: true },
    resolve: (_root, _args, ctx) => rotateWebhookSecret(ctx.services, ctx.currentUser!.id),
  }),
);
