import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { DocumentNode, GraphQLError, ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ErrorCode, ReelayError } from "../errors.js";

/** What one operation may ask for; beyond any of these it is refused with QUERY_TOO_COMPLEX before it runs. */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2_000,
  /** GraphQL Armor's cost of the document, plus one for every list item in the variables */
  maxCost: 5_000,
} as const;

const tooComplex = (message: string) =>
  new ReelayError(ErrorCode.QUERY_TOO_COMPLEX, message.replace(/^Syntax Error: /, ""), { limits: QUERY_LIMITS });

/** A limit found broken while validating: reported like any validation error, so the operation is refused and nothing else is. */
const reportTooComplex = (context: ValidationContext | null, error: GraphQLError) => context?.reportError(tooComplex(error.message));

/**
 * The query limits, enforced by GraphQL Armor (depth, aliases, directives, tokens, the
 * document's cost) and by counting the list items of the variables into that cost. Every
 * refusal carries QUERY_TOO_COMPLEX; over WebSocket it ends that one operation only.
 */
export function useQueryLimits(): Plugin[] {
  // The cost of each document Armor accepted, by document: yoga caches parsed documents and
  // their validation, so this is computed once per document and read by every execution.
  const documentCosts = new WeakMap<DocumentNode, number>();
  const reject = { propagateOnRejection: false, onReject: [reportTooComplex] };
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, ...reject },
      maxAliases: { n: QUERY_LIMITS.maxAliases, ...reject },
      maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...reject },
      // The parser counts tokens and has no validation context to report to: it stops by throwing.
      maxTokens: {
        n: QUERY_LIMITS.maxTokens,
        onReject: [
          (_context, error) => {
            throw tooComplex(error.message);
          },
        ],
      },
      costLimit: {
        maxCost: QUERY_LIMITS.maxCost,
        ignoreIntrospection: true,
        ...reject,
        onAccept: [
          (context, { n }: { n: number }) => {
            const document = context?.getDocument();
            if (document) documentCosts.set(document, Math.max(n, documentCosts.get(document) ?? 0));
          },
        ],
      },
    }),
    useVariableListCost(QUERY_LIMITS.maxCost, documentCosts),
  ];
}

/**
 * Armor prices the document alone, so `nodes(ids: $ids)` looks the same with 1 id as with
 * 100 000. Before an operation runs (and before its variables are coerced), the items of
 * every list in its variables are added to its document's cost.
 */
function useVariableListCost(maxCost: number, documentCosts: WeakMap<DocumentNode, number>): Plugin {
  const refusal = (document: DocumentNode, variables: unknown) => {
    const documentCost = documentCosts.get(document) ?? 0;
    const items = countListItems(variables, maxCost - documentCost);
    const cost = documentCost + items;
    return cost > maxCost
      ? tooComplex(
          `Query Cost limit of ${maxCost} exceeded: the document costs ${documentCost} and its variables hold ${items} list items or more.`,
        )
      : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** The items of every list in a JSON value, nested ones included; stops counting once past `budget`. Iterative: variables may nest deeply. */
function countListItems(value: unknown, budget: number): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && count <= budget) {
    const next = pending.pop();
    if (Array.isArray(next)) {
      count += next.length;
      for (const item of next) if (typeof item === "object" && item !== null) pending.push(item);
    } else if (typeof next === "object" && next !== null) {
      for (const item of Object.values(next)) if (typeof item === "object" && item !== null) pending.push(item);
    }
  }
  return count;
}
