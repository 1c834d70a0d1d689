/** What every Reelay client set-up shares: the token, the headers Reelay expects, the WebSocket address. */

/** A personal API key (`sk-rl-…`) or a JWT; a function is asked again for each request and each new socket. */
export type TokenSource = string | null | undefined | (() => string | null | undefined | Promise<string | null | undefined>);

export interface ReelayConnectionOptions {
  /** the GraphQL endpoint, e.g. `https://reelay.example.com/graphql` */
  url: string;
  /** sent as `Authorization: Bearer …` over HTTP and as connection params on the WebSocket */
  token?: TokenSource;
  /** the graphql-ws endpoint; by default `url` with http(s) turned into ws(s) */
  webSocketUrl?: string;
  /** a WebSocket implementation where there is no global one (Node before 22: the `ws` package) */
  webSocketImpl?: unknown;
  /** a fetch implementation; the global one by default */
  fetch?: typeof fetch;
}

/**
 * Reelay refuses multipart and other "simple" requests without this header, so that a form on
 * another site cannot post to it with a user's cookies. Every set-up here sends it.
 */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

export async function resolveToken(token: TokenSource): Promise<string | null> {
  const value = typeof token === "function" ? await token() : token;
  return value ? value : null;
}

/** The headers of every HTTP request: the CSRF header, and the bearer token when there is one. */
export async function requestHeaders(token: TokenSource): Promise<Record<string, string>> {
  const value = await resolveToken(token);
  return value ? { [CSRF_HEADER]: "1", authorization: `Bearer ${value}` } : { [CSRF_HEADER]: "1" };
}

/** graphql-ws connection params: Reelay reads the token from `authorization`, as over HTTP. */
export async function connectionParams(token: TokenSource): Promise<Record<string, string>> {
  const value = await resolveToken(token);
  return value ? { authorization: `Bearer ${value}` } : {};
}

/** `http://host/graphql` → `ws://host/graphql`, `https:` → `wss:`; relative URLs resolve against the page. */
export function webSocketUrlFor(url: string): string {
  const base = typeof location === "undefined" ? undefined : location.href;
  const absolute = new URL(url, base);
  if (absolute.protocol === "http:") absolute.protocol = "ws:";
  else if (absolute.protocol === "https:") absolute.protocol = "wss:";
  return absolute.toString();
}

/**
 * Close codes after which reconnecting cannot help: 4403 (the token was refused), 4400 (a bad
 * message). A server restarting or a dropped network closes otherwise, and the client retries.
 */
export const FINAL_CLOSE_CODES: readonly number[] = [4400, 4403];

/** Retry for as long as the page lives, except after a final close code (see FINAL_CLOSE_CODES). */
export function shouldReconnect(event: unknown): boolean {
  const code = (event as { code?: unknown } | null)?.code;
  return !(typeof code === "number" && FINAL_CLOSE_CODES.includes(code));
}

/** Exponential backoff with jitter, capped at 30 s: a fleet of clients does not reconnect in step. */
export async function reconnectDelay(retries: number): Promise<void> {
  const ceiling = Math.min(30_000, 500 * 2 ** retries);
  await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}

/** A fetch that adds the CSRF header and the current token to every request it is given. */
export function authorizedFetch(token: TokenSource, baseFetch: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(await requestHeaders(token))) headers.set(name, value);
    return baseFetch(input, { ...init, headers });
  };
}
