import { Client, type ClientOptions, cacheExchange, type Exchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { authorizedFetch, type ReelayConnectionOptions } from "./connection.js";
import { createReelayWebSocket, type WebSocketClient, type WebSocketOptions } from "./web-socket.js";

export interface ReelayUrqlOptions extends ReelayConnectionOptions {
  /** exchanges in front of the fetch and subscription exchanges; urql's document cache by default */
  exchanges?: Exchange[];
  /** more graphql-ws options */
  webSocketOptions?: WebSocketOptions;
  /** more urql client options (requestPolicy, …) */
  clientOptions?: Omit<Partial<ClientOptions>, "url" | "exchanges" | "fetch">;
}

export interface ReelayUrqlClient {
  client: Client;
  /** the graphql-ws client that carries subscriptions */
  webSocket: WebSocketClient;
  /** closes the socket; the client makes no request afterwards */
  close(): Promise<void>;
}

/**
 * An urql client for Reelay: queries and mutations over HTTP (multipart when a variable holds a
 * File or Blob, as createVideo's `image` does), subscriptions over graphql-ws, the token on both.
 */
export function createReelayUrqlClient(options: ReelayUrqlOptions): ReelayUrqlClient {
  const webSocket = createReelayWebSocket(options, options.webSocketOptions);
  const client = new Client({
    ...options.clientOptions,
    url: options.url,
    fetch: authorizedFetch(options.token, options.fetch),
    exchanges: [
      ...(options.exchanges ?? [cacheExchange]),
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              return { unsubscribe: webSocket.subscribe(input, sink) };
            },
          };
        },
      }),
      fetchExchange,
    ],
  });
  return {
    client,
    webSocket,
    async close() {
      await webSocket.dispose();
    },
  };
}
