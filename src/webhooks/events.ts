/** The task changes a webhook can report, in the order a task goes through them. */
export const WEBHOOK_EVENTS = ["started", "progress", "completed", "failed", "cancelled"] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
