// Peer bounds for the read path: graphql-yoga answering one task by id with one database
// read, either straight through the pg driver or through Prisma's findUnique, and nothing
// else (no auth, no plugins). argv: databaseUrl, "pg" | "prisma".
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
import pg from "pg";
import { openDatabase } from "../../src/db/index.js";
import { serveGraphqlUntilStdinEnds } from "./serve.js";

const [url, via] = [process.argv[2], process.argv[3]];
const pool = new pg.Pool({ connectionString: url, max: 10 }); // the size Reelay's pool has
const { db } = await openDatabase(url);
const task = async (_: unknown, { id }: { id: string }) =>
  via === "pg"
    ? (await pool.query("SELECT id, status, progress, model FROM tasks WHERE id = $1", [id])).rows[0]
    : db.task.findUnique({ where: { id }, select: { id: true, status: true, progress: true, model: true } });

const yoga = createYoga({
  schema: createSchema({
    typeDefs: "type Task { id: ID! status: String! progress: Int! model: String! } type Query { task(id: ID!): Task }",
    resolvers: { Query: { task } },
  }),
  logging: false,
});
serveGraphqlUntilStdinEnds(createServer(yoga));
