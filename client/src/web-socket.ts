import {
  createClient,
  type Event,
  type EventListener,
  type Sink,
  type Client as WebSocketClient,
  type ClientOptions as WebSocketClientOptions,
} from "graphql-ws";
import { connectionParams, type ReelayConnectionOptions, reconnectDelay, shouldReconnect, webSocketUrlFor } from "./connection.js";

export type { WebSocketClient };

/** Extra graphql-ws options; the URL, token and reconnection come from the connection options. */
export type WebSocketOptions = Omit<Partial<WebSocketClientOptions>, "url" | "webSocketImpl" | "connectionParams">;

/**
 * The graphql-ws client for taskProgress: it connects when the first subscription starts, sends
 * the token as connection params (asking a token function again on each reconnect) and, after a
 * dropped network or a server restart, reconnects and restarts every subscription it holds.
 *
 * It is built on first use, so an application that only queries (a Node 20 script with no
 * global WebSocket and no `webSocketImpl`) never needs a WebSocket implementation.
 */
export function createReelayWebSocket(options: ReelayConnectionOptions, extra: WebSocketOptions = {}): WebSocketClient {
  let client: WebSocketClient | null = null;
  const early: [Event, EventListener<Event>][] = [];
  const connected = () => {
    if (client) return client;
    client = createClient({
      url: options.webSocketUrl ?? webSocketUrlFor(options.url),
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
      connectionParams: () => connectionParams(options.token),
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: shouldReconnect,
      retryWait: reconnectDelay,
      // a ping every 10 s notices a dead connection that never closed (a laptop waking, a NAT timeout)
      keepAlive: 10_000,
      ...extra,
    });
    for (const [event, listener] of early.splice(0)) client.on(event, listener);
    return client;
  };
  return {
    subscribe: (payload, sink) => connected().subscribe(payload, withReadableClose(sink)),
    iterate: (payload) => connected().iterate(payload),
    on(event, listener) {
      if (client) return client.on(event, listener);
      const entry: [Event, EventListener<Event>] = [event, listener as EventListener<Event>];
      early.push(entry);
      return () => {
        const at = early.indexOf(entry);
        if (at >= 0) early.splice(at, 1);
      };
    },
    terminate: () => client?.terminate(),
    dispose: () => client?.dispose(),
  };
}

/** graphql-ws hands a sink the bare close event; an Error that names the code reads better everywhere. */
function withReadableClose<T>(sink: Sink<T>): Sink<T> {
  return {
    next: (value) => sink.next(value),
    complete: () => sink.complete(),
    error(err) {
      const close = err as { code?: unknown; reason?: unknown } | null;
      if (err instanceof Error || typeof close?.code !== "number") return sink.error(err);
      const reason = typeof close.reason === "string" && close.reason ? `: ${close.reason}` : "";
      sink.error(new Error(`The server closed the connection (${close.code}${reason})`));
    },
  };
}
