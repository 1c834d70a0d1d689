import { ApolloClient, ApolloLink, InMemoryCache, type TypePolicies } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { OperationTypeNode } from "graphql";
import { authorizedFetch, type ReelayConnectionOptions } from "./connection.js";
import { createReelayWebSocket, type WebSocketClient, type WebSocketOptions } from "./web-socket.js";

/**
 * Reelay's connections merge page after page into one list (`fetchMore` with `after`); a new
 * filter starts a new list. Tasks are normalised by id, so a taskProgress frame updates every
 * query that shows the task.
 */
export const reelayTypePolicies: TypePolicies = {
  Query: {
    fields: {
      tasks: relayStylePagination(["status", "mediaType"]),
      users: relayStylePagination(["search"]),
      auditLog: relayStylePagination(),
      ledger: relayStylePagination(["subject"]),
    },
  },
  User: { fields: { ledger: relayStylePagination() } },
};

export interface ReelayApolloOptions extends ReelayConnectionOptions {
  /** more graphql-ws options */
  webSocketOptions?: WebSocketOptions;
  /** more Apollo Client options (defaultOptions, devtools, …) */
  clientOptions?: Omit<Partial<ApolloClient.Options>, "link" | "cache">;
  /** the cache; by default an InMemoryCache with reelayTypePolicies */
  cache?: InMemoryCache;
}

export interface ReelayApolloClient {
  client: ApolloClient;
  /** the graphql-ws client that carries subscriptions */
  webSocket: WebSocketClient;
  /** stops the client and closes the socket */
  close(): Promise<void>;
}

/**
 * An Apollo Client for Reelay: queries and mutations over HTTP (multipart when a variable holds
 * a File or Blob, as createVideo's `image` does), subscriptions over graphql-ws, the token on both.
 */
export function createReelayApolloClient(options: ReelayApolloOptions): ReelayApolloClient {
  const webSocket = createReelayWebSocket(options, options.webSocketOptions);
  const http = new UploadHttpLink({ uri: options.url, fetch: authorizedFetch(options.token, options.fetch) });
  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(webSocket),
    http,
  );
  const client = new ApolloClient({
    ...options.clientOptions,
    link,
    cache: options.cache ?? new InMemoryCache({ typePolicies: reelayTypePolicies }),
  });
  return {
    client,
    webSocket,
    async close() {
      client.stop();
      await webSocket.dispose();
    },
  };
}
