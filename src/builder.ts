import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin, { decodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError, Kind } from "graphql";
import type { Context } from "./context.js";
import { badInput, ErrorCode, ReelayError } from "./errors.js";
import type PrismaTypes from "./generated/pothos-types.js";
import { getDatamodel } from "./generated/pothos-types.js";
import { NIL_UUID, UUID_PATTERN } from "./limits.js";
import { formatMoney, parseMoney } from "./money.js";

/** The types that implement Node; each is keyed by a UUID. */
const NODE_TYPES = new Set(["VideoTask", "User", "Channel", "AuditEntry", "LedgerEntry"]);
/** the most ids one nodes(ids:) call looks up */
export const MAX_NODE_IDS = 100;
/** looked up like any id, it matches no row: node(id) answers null */
const NO_NODE = { typename: "VideoTask", id: NIL_UUID };

/**
 * node(id) and nodes(ids): an id that cannot name a node (malformed, another type, not a
 * UUID) finds nothing, like an unknown one, instead of a code-less or internal error.
 */
function decodeNodeID(globalID: string): { typename: string; id: string } {
  try {
    const decoded = decodeGlobalID(globalID);
    if (NODE_TYPES.has(decoded.typename) && UUID_PATTERN.test(decoded.id)) return decoded;
  } catch {
    // malformed: finds nothing
  }
  return NO_NODE;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { loggedIn: boolean; admin: boolean };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Money: { Input: bigint; Output: bigint };
    Upload: { Input: File; Output: never };
    JSON: { Input: never; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      loggedIn: ctx.currentUser !== null,
      admin: ctx.currentUser?.role === "ADMIN",
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.currentUser
        ? new ReelayError(ErrorCode.FORBIDDEN, "This operation needs the admin role")
        : new ReelayError(ErrorCode.UNAUTHENTICATED, "Send Authorization: Bearer <token>"),
  },
  prisma: {
    client: (ctx) => ctx.services.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "test" ? "error" : null,
    defaultConnectionSize: 20,
    maxConnectionSize: 100,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    nodeQueryOptions: { nullable: true, authScopes: { loggedIn: true } },
    nodesQueryOptions: {
      authScopes: { loggedIn: true },
      resolve: (_root, args, _ctx, _info, resolveNodes) => {
        if (args.ids.length > MAX_NODE_IDS) throw badInput(`nodes takes at most ${MAX_NODE_IDS} ids, got ${args.ids.length}`);
        return resolveNodes(args.ids);
      },
    },
    decodeGlobalID: decodeNodeID,
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType("DateTime", {
  description: "ISO-8601 string, UTC",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw badInput("DateTime must be an ISO-8601 string");
    return date;
  },
});

function moneyFrom(value: unknown): bigint {
  const nanos = typeof value === "string" ? parseMoney(value) : Number.isSafeInteger(value) ? BigInt(value as number) : null;
  if (nanos === null) throw badInput(`Money must be a decimal string such as "9.60" with at most 9 decimals, got ${JSON.stringify(value)}`);
  return nanos;
}

builder.scalarType("Money", {
  description: 'exact decimal string in USD, e.g. "9.6"; never a float',
  serialize: (value) => formatMoney(value),
  parseValue: moneyFrom,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return moneyFrom(ast.kind === Kind.INT ? Number(ast.value) : ast.value);
    throw badInput('Money must be a decimal string such as "9.60"');
  },
});

/**
 * yoga parses multipart bodies with its fetch API (the @whatwg-node ponyfill), whose File
 * is not an instance of Node's global Blob: recognise any Blob-like object. Plain JSON
 * variables can never carry the methods checked here.
 */
function isFile(value: unknown): value is File {
  if (value instanceof Blob) return true;
  const candidate = value as Partial<File> | null;
  return (
    typeof candidate === "object" && candidate !== null && typeof candidate.arrayBuffer === "function" && typeof candidate.size === "number"
  );
}

builder.scalarType("Upload", {
  description: "a file sent with the GraphQL multipart request spec",
  serialize: () => {
    throw new GraphQLError("Upload is an input-only scalar");
  },
  parseValue: (value) => {
    if (isFile(value)) return value;
    throw badInput("Upload must be a file sent as a multipart request (GraphQL multipart request spec)");
  },
});

/** An admin-only field: the scope that guards it and the description that says so, written once. */
export const adminOnly = (description?: string) => ({
  description: description ? `ADMIN only: ${description}` : "ADMIN only",
  authScopes: { admin: true as const },
});

/** Enum values, each with its description, from a value → description map. */
export const describedValues = <K extends string>(descriptions: Record<K, string>) =>
  Object.fromEntries(Object.entries(descriptions).map(([value, description]) => [value, { description }])) as Record<
    K,
    { description: string }
  >;
