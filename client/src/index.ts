/**
 * Typed documents for every operation in operations.graphql, with their result and variable
 * types, and what the urql (`@reelay/client/urql`) and Apollo (`@reelay/client/apollo`) set-ups share.
 */
export * from "./connection.js";
export * from "./generated/graphql.js";
