import type { Db } from "../db/index.js";
import { ErrorCode, ReelayError } from "../errors.js";
import type { Channel } from "../generated/prisma/client.js";
import { adaptorFor } from "../providers/index.js";

/**
 * The channel a new task runs on: the one named, or the enabled channel with the
 * highest priority that lists the model and whose provider Reelay speaks.
 */
export async function pickChannel(db: Db, model: string, pinned: string | null | undefined): Promise<Channel> {
  if (pinned) {
    const channel = await db.channel.findUnique({ where: { name: pinned } });
    if (!channel || !channel.enabled || !channel.models.includes(model) || !adaptorFor(channel.provider)) {
      throw new ReelayError(ErrorCode.NO_CHANNEL, `No enabled channel named "${pinned}" serves ${model}`);
    }
    return channel;
  }
  const channels = await db.channel.findMany({
    where: { enabled: true, models: { has: model } },
    orderBy: [{ priority: "desc" }, { name: "asc" }],
  });
  const usable = channels.find((c) => adaptorFor(c.provider));
  if (!usable) throw new ReelayError(ErrorCode.NO_CHANNEL, `No enabled channel serves the model "${model}"`);
  return usable;
}
