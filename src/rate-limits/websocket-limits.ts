import { type DocumentNode, type GraphQLError, getOperationAST } from "graphql";
import type { WebSocket } from "ws";
import type { Config } from "../config.js";
import { type RateLimiter, rateLimited, type SocketSlot } from "./limiter.js";

/** Close code of a connection refused because its user has MAX_SOCKETS_PER_USER open already (after HTTP's 429). */
export const TOO_MANY_CONNECTIONS = 4429;

/** What the limits need of a graphql-ws connection context. */
interface SocketContext {
  /** one object per connection */
  extra: { socket: WebSocket };
  /** graphql-ws's operations in progress, by id: an id leaves it as soon as the client completes the operation */
  subscriptions: Readonly<Record<string, unknown>>;
}

interface SocketState {
  slot: SocketSlot | null;
  /** ids of the subscriptions started on the connection; those no longer in progress are dropped at the next start */
  subscriptions: Set<string>;
}

/**
 * MAX_SOCKETS_PER_USER and MAX_SUBSCRIPTIONS_PER_SOCKET, as graphql-ws hooks. A user's
 * connections are counted across instances (a leased slot each, see RateLimiter); a
 * connection's subscriptions are counted here, since a connection lives on one instance.
 */
export interface WebSocketLimits {
  /** At connection init, once the user is known: takes one of the user's slots, or closes the socket with 4429 and answers false. */
  admit(ctx: SocketContext, userId: string): Promise<boolean>;
  /** Before an operation runs: RATE_LIMITED for a subscription beyond the connection's limit (the connection stays open), else null. */
  startOperation(ctx: SocketContext, id: string, document: DocumentNode, operationName: string | null | undefined): GraphQLError | null;
  /** The connection closed: frees its slot. */
  closed(ctx: SocketContext): Promise<void>;
}

export function createWebSocketLimits(limiter: RateLimiter, settings: Pick<Config, "maxSubscriptionsPerSocket">): WebSocketLimits {
  const connections = new WeakMap<SocketContext["extra"], SocketState>();
  const stateOf = (ctx: SocketContext) => {
    let state = connections.get(ctx.extra);
    if (!state) {
      state = { slot: null, subscriptions: new Set() };
      connections.set(ctx.extra, state);
    }
    return state;
  };

  return {
    async admit(ctx, userId) {
      const { socket } = ctx.extra;
      const slot = await limiter.openSocket(userId);
      if (!slot) {
        // graphql-ws closes a refused connection with 4403; closing first gives the client the real reason (its later close is a no-op).
        socket.close(TOO_MANY_CONNECTIONS, "Too many connections");
        return false;
      }
      if (socket.readyState !== socket.OPEN) {
        // closed while the slot was being taken: its close hook has run already
        await slot.release();
        return false;
      }
      stateOf(ctx).slot = slot;
      return true;
    },
    startOperation(ctx, id, document, operationName) {
      const limit = settings.maxSubscriptionsPerSocket;
      if (limit === 0 || getOperationAST(document, operationName)?.operation !== "subscription") return null;
      // Counted from graphql-ws's own record: an operation the client completed leaves it at
      // once, while the subscription's stream may end only at its next event.
      const { subscriptions } = stateOf(ctx);
      for (const started of subscriptions) if (!(started in ctx.subscriptions)) subscriptions.delete(started);
      if (subscriptions.size >= limit) return rateLimited(`Too many subscriptions on this connection: at most ${limit}`, null, { limit });
      subscriptions.add(id);
      return null;
    },
    async closed(ctx) {
      const state = connections.get(ctx.extra);
      connections.delete(ctx.extra);
      await state?.slot?.release();
    },
  };
}
