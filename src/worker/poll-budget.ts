import { setTimeout as sleep } from "node:timers/promises";
import type { Services } from "../context.js";
import type { Channel } from "../generated/prisma/client.js";

/**
 * A channel's poll budget (Channel.pollsPerSecond), shared by every worker through the limit
 * store (Redis when configured). Returns null when the poll may go ahead; otherwise how long
 * to put it off. A caller that can wait (a refresh someone is waiting for) waits up to `waitMs`
 * for a place first.
 */
export async function takePollBudget(
  services: Pick<Services, "limits">,
  channel: Pick<Channel, "id" | "pollsPerSecond">,
  waitMs = 0,
): Promise<number | null> {
  const perSecond = channel.pollsPerSecond;
  if (!perSecond) return null;
  const giveUpAt = Date.now() + waitMs;
  for (;;) {
    if (await services.limits.takePollSlot(channel.id, perSecond)) return null;
    // About one poll's share of a second, spread so that polls put off together do not return together.
    const pause = Math.ceil((1_000 / perSecond) * (0.5 + Math.random()));
    if (Date.now() + pause > giveUpAt) return pause;
    await sleep(pause);
  }
}
