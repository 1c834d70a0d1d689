import type { GraphQLResponse } from "./app.js";

/** One operation over GraphQL over SSE (a POST accepting text/event-stream): the payload of its first `next` event. */
export async function postOverSse(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: "POST",
    headers: { accept: "text/event-stream", "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text(); // a query or mutation ends its stream after one result
  for (const event of text.split("\n\n")) {
    const lines = event.split("\n");
    if (!lines.includes("event: next")) continue;
    const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim());
    return { ...JSON.parse(data.join("\n")), status: res.status };
  }
  throw new Error(`no result in the event stream (HTTP ${res.status}): ${text.slice(0, 200)}`);
}
