// The peer bound for the read path: graphql-yoga answering a constant field, nothing else.
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
import { serveGraphqlUntilStdinEnds } from "./serve.js";

const yoga = createYoga({
  schema: createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } }),
  logging: false,
});
serveGraphqlUntilStdinEnds(createServer(yoga));
