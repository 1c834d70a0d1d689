import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";
import type { RateLimiter } from "./limiter.js";

/**
 * RATE_LIMIT_PER_MINUTE: counts every mutation a user runs and refuses the operation
 * once the user is over the limit. An envelop hook on execute, so mutations over HTTP,
 * SSE and WebSocket (graphql-ws runs yoga's enveloped execute) are counted in this one
 * place. Each root field counts, so aliases cannot pack many mutations into one request.
 * Admins are not counted: their mutations are operators' actions (grants, channels, prices),
 * often scripted in bulk.
 */
export function useMutationRateLimit(limiter: RateLimiter): Plugin<Context> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const user = args.contextValue.currentUser;
      if (!user || user.role === "ADMIN") return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== "mutation") return;
      const fields = rootFieldCount(args.document, operation.selectionSet);
      if (fields === 0) return;
      const refusal = await limiter.countMutations(user.id, fields);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}

/** The fields a selection runs at the root, through inline fragments and fragment spreads; `__typename` runs nothing. */
function rootFieldCount(document: DocumentNode, selectionSet: SelectionSetNode, spread = new Set<string>()): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== "__typename") count++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += rootFieldCount(document, selection.selectionSet, spread);
    } else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) count += rootFieldCount(document, fragment.selectionSet, spread);
    }
  }
  return count;
}
