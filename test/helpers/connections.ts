import { type Client, createClient, type FormattedExecutionResult } from "graphql-ws";
import { expect } from "vitest";
import WebSocket from "ws";
import { ME } from "./fixtures.js";
import { tokenFor } from "./tokens.js";

/** How a connection attempt ended up: acknowledged, or closed by the server first. */
export type ConnectionOutcome = { open: true } | { open: false; code: number; reason: string };

/** A graphql-ws connection opened at once (not lazily), telling how the server answered its init. */
export interface Connection {
  client: Client;
  /** settles when the server acknowledges the connection or closes it */
  outcome: Promise<ConnectionOutcome>;
  /** settles when the connection closes, with the server's code and reason */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export function connect(url: string, token: string): Connection {
  let settle!: (outcome: ConnectionOutcome) => void;
  let markClosed!: (event: { code: number; reason: string }) => void;
  const outcome = new Promise<ConnectionOutcome>((resolve) => (settle = resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (markClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {}, // the refusal is what the tests look at, through `outcome`
    connectionParams: { authorization: `Bearer ${token}` },
    on: {
      connected: () => settle({ open: true }),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        settle({ open: false, code, reason: String(reason) });
        markClosed({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    outcome,
    closed,
    async dispose() {
      await client.dispose();
    },
  };
}

export type OperationResult = FormattedExecutionResult<Record<string, any>, unknown>;

/** Runs a query or mutation over the connection; an `error` message comes back as `{ errors }`. */
export function runOnce(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<OperationResult> {
  return new Promise((resolve, reject) => {
    let result: OperationResult = {};
    client.subscribe<Record<string, any>>(
      { query, variables },
      {
        next: (value) => (result = value),
        error: (err) => (Array.isArray(err) ? resolve({ errors: err }) : reject(err)),
        complete: () => resolve(result),
      },
    );
  });
}

/** A subscription started with `subscribeAndHold`. */
export interface HeldSubscription {
  /** the errors of an `error` message, or null once the wait passed without one (the subscription is live) */
  refusal: Promise<OperationResult["errors"] | null>;
  /** every result received so far */
  results: OperationResult[];
  dispose(): void;
}

/** Starts a subscription that stays open, collecting what it receives. */
export function subscribeAndHold(client: Client, query: string, waitMs = 500): HeldSubscription {
  let refuse!: (errors: OperationResult["errors"] | null) => void;
  const refusal = new Promise<OperationResult["errors"] | null>((resolve) => (refuse = resolve));
  const timer = setTimeout(() => refuse(null), waitMs);
  const results: OperationResult[] = [];
  const dispose = client.subscribe<Record<string, any>>(
    { query },
    {
      next: (value) => results.push(value),
      error: (err) => {
        clearTimeout(timer);
        refuse(Array.isArray(err) ? err : [{ message: String(err) }]);
      },
      complete: () => {},
    },
  );
  return { refusal, results, dispose };
}

/** The connections a test file opens; `closeAll` ends them (before the servers stop). */
export function connectionPool() {
  const opened: Connection[] = [];
  return {
    open(app: { wsUrl: string }, token: string) {
      const connection = connect(app.wsUrl, token);
      opened.push(connection);
      return connection;
    },
    async closeAll() {
      for (const connection of opened) await connection.dispose();
    },
  };
}

/**
 * A token whose user row exists already. (Two connections opened at once by a subject never
 * seen before can race to create its row, and the loser is refused: not what such tests test.)
 */
export async function signedInOn(
  app: { gql: (query: string, variables: Record<string, unknown>, options: { token: string }) => Promise<{ errors?: unknown }> },
  subject: string,
) {
  const token = await tokenFor(subject);
  expect((await app.gql(ME, {}, { token })).errors).toBeUndefined();
  return token;
}
