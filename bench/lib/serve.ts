import type { Server } from "node:http";

/** For a helper process: listens on 127.0.0.1, prints { url } of its GraphQL endpoint, and exits when stdin closes. */
export function serveGraphqlUntilStdinEnds(server: Server) {
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number };
    console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` }));
  });
  process.stdin.resume();
  process.stdin.on("end", () => server.close(() => process.exit(0)));
}
