import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type * as GraphiQLRenderer from "@graphql-yoga/render-graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

/** The first tab on a first visit: where the token goes, then an operation that runs as is. */
export const GRAPHIQL_DEFAULT_QUERY = `# Reelay's GraphQL API.
#
# Operations need a token: open the Headers tab below
# and enter
#
#   {"Authorization": "Bearer <your API key or JWT>"}
#
# An operator creates an API key on the server with
#   npm run -s apikey -- <subject> [--admin]
#
# Run an operation with Ctrl-Enter or the play button.

query Me {
  me {
    subject
    role
    balance
  }
}

# With credit on the balance (an admin grants it with
# grantCredit), create a video:
#
# mutation CreateVideo {
#   createVideo(
#     input: { model: "sora-2", prompt: "a red fox in snow" }
#   ) {
#     id
#     status
#     cost
#   }
# }
#
# and follow it with the id it returned:
#
# subscription Progress {
#   taskProgress(id: "<task id>") {
#     status
#     progress
#     videoUrl
#     error { code message }
#   }
# }
`;

/** yoga's `graphiql` option. */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: "Reelay",
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  // Over SSE a subscription is an HTTP request that carries the Headers tab, so the token
  // there authenticates it as it does queries; over graphql-ws GraphiQL would send only fixed
  // connection params, and the socket would close with 4403.
  subscriptionsProtocol: "SSE",
};

interface GraphiQLPage {
  html: string;
  headers: Record<string, string>;
}

let page: GraphiQLPage | null = null;

/**
 * The page, rendered on first use: GraphiQL's script, styles, fonts, icons and editor workers
 * are all inline (from @graphql-yoga/render-graphiql), so a browser fetches nothing but the
 * API itself. The policy allows that inline script by its digest and nothing from elsewhere.
 */
function graphiqlPage(): GraphiQLPage {
  if (page) return page;
  // A 9 MB module, loaded for the first page rather than at every start; required (its CJS
  // build), not imported, so that this and its callers stay synchronous.
  const { renderGraphiQL } = createRequire(import.meta.url)("@graphql-yoga/render-graphiql") as typeof GraphiQLRenderer;
  const html = renderGraphiQL(GRAPHIQL_OPTIONS);
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
  if (script === undefined) throw new Error("GraphiQL's page has no inline script");
  const digest = createHash("sha256").update(script).digest("base64");
  const policy = [
    "default-src 'none'",
    `script-src 'sha256-${digest}'`,
    // the editors style their elements as they draw them
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "worker-src blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    // the token typed into the page is no other site's to frame
    "frame-ancestors 'none'",
  ].join("; ");
  page = { html, headers: { "content-security-policy": policy, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" } };
  return page;
}

/** yoga's `renderGraphiQL` option. */
export const renderReelayGraphiQL = (): string => graphiqlPage().html;

/** Whether yoga will answer with GraphiQL: a browser's GET asking for HTML (yoga's own test). */
export function wantsGraphiQL(req: IncomingMessage): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

/** Puts GraphiQL's security headers on the response yoga is about to write. */
export function setGraphiQLHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(graphiqlPage().headers)) res.setHeader(name, value);
}
