/**
 * The signed-in session: the key (an API key or a JWT), the urql client that sends it, and
 * what ends it. The key is kept in sessionStorage, not localStorage: it lives only as long as
 * the tab, so closing the tab on a shared machine leaves nothing behind for the next person.
 */
import { MeDocument, type MeQuery } from "@reelay/client";
import { createReelayUrqlClient, type ReelayUrqlClient } from "@reelay/client/urql";
import { cacheExchange, mapExchange } from "urql";
import { describeError, type Problem } from "../lib/errors";

const STORAGE_KEY = "reelay-console-key";
/** graphql-ws close codes after which the key will not work again: refused (4403) or unauthorized (4401) */
const REFUSED_CLOSE_CODES = [4401, 4403];

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the key is simply not remembered
  }
}

function rememberKey(key: string | null) {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // storage disabled: signing in still works for this page
  }
}

export interface Session {
  urql: ReelayUrqlClient;
  me: MeQuery;
  /** forgets the key, stops every request from carrying it, and closes the socket */
  end(): void;
}

/**
 * Checks the key with a `me` query and, when it is accepted, keeps it for the tab. Once the
 * session has started, an operation refused as UNAUTHENTICATED (a revoked key, a disabled
 * user) or a socket closed for the key calls `onRefused`.
 */
export async function startSession(key: string, onRefused: (problem: Problem) => void): Promise<Session | Problem> {
  let active = true;
  let started = false;
  const refused = (problem: Problem) => {
    if (active && started) onRefused(problem);
  };
  const urql = createReelayUrqlClient({
    url: new URL("/graphql", location.href).href,
    // asked again for every request and reconnect, so signing out takes effect at once
    token: () => (active ? key : null),
    clientOptions: { requestPolicy: "cache-and-network" },
    exchanges: [
      mapExchange({
        onError(error) {
          const problem = describeError(error);
          if (problem.code === "UNAUTHENTICATED") refused(problem);
        },
      }),
      cacheExchange,
    ],
  });
  urql.webSocket.on("closed", (event) => {
    const code = (event as { code?: unknown } | null)?.code;
    if (typeof code === "number" && REFUSED_CLOSE_CODES.includes(code)) {
      refused({ code: "UNAUTHENTICATED", title: "This key or token is no longer accepted", detail: "Sign in again with a valid key." });
    }
  });
  const end = () => {
    active = false;
    rememberKey(null);
    void urql.close();
  };
  const result = await urql.client.query(MeDocument, {}, { requestPolicy: "network-only" }).toPromise();
  if (result.error || !result.data) {
    end();
    return result.error ? describeError(result.error) : { code: "ERROR", title: "Sign-in failed", detail: "The server gave no answer." };
  }
  rememberKey(key);
  started = true;
  return { urql, me: result.data, end };
}

export const isProblem = (value: Session | Problem): value is Problem => "code" in value && "title" in value;
