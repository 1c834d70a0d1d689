// The peer bound for the read path: graphql-yoga answering a constant field, nothing else.
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";

const yoga = createYoga({
  schema: createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } }),
  logging: false,
});
const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` }));
});
process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
