/**
 * A webhook worker that stops hands its deliveries back at once instead of leaving their
 * leases to lapse. The instance here serves the API alone (no worker of its own), so the
 * test's worker is the only one sending.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { enqueueWebhook } from "../../src/webhooks/outbox.js";
import { createWebhookWorker } from "../../src/worker/webhooks.js";
import { CREATE_VIDEO } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { type Receiver, startReceiver } from "./receiver.js";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());

const app = useTestApp({
  mock: "openai",
  channels: [{ name: "gateway", models: ["sora-2"] }],
  config: { role: "api", allowPrivateNetworks: true },
});

it("a forced stop cuts an attempt under way short, records it and gives the delivery back", async () => {
  const { services } = app.app;
  const token = await app.userWithCredit("shutdown@webhooks", "10");
  const created = await app.gql(
    CREATE_VIDEO,
    { input: { model: "sora-2", prompt: "stopped mid-delivery", seconds: 4, size: "1280x720", webhookUrl: `${receiver.origin}/stop` } },
    { token },
  );
  expect(created.errors).toBeUndefined();
  const id = Buffer.from(created.data!.createVideo.id, "base64")
    .toString("utf8")
    .replace(/^VideoTask:/, "");
  await services.db.$transaction(async (tx) => {
    await enqueueWebhook(tx, services, await tx.task.findUniqueOrThrow({ where: { id } }), "started");
  });

  receiver.answer("/stop", "hold");
  const worker = createWebhookWorker(services, { owner: "test-worker" });
  worker.start();
  await receiver.waitFor("/stop", 1);
  const held = await services.db.webhookDelivery.findFirstOrThrow({ where: { taskId: id } });
  expect(held.leaseOwner).toBe("webhooks:test-worker");

  await worker.close(true);
  const after = await services.db.webhookDelivery.findFirstOrThrow({ where: { taskId: id } });
  expect(after).toMatchObject({ id: held.id, attempts: 1, leaseOwner: null, leaseUntil: null, deliveredAt: null, lastStatus: null });
  expect(after.lastError).toBe("cut short: the worker stopped");
});
