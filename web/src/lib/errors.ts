/**
 * What people read when something goes wrong, from the API's `extensions.code` (the
 * contract's codes) and a task's `error.code`. Plain TypeScript without the DOM: the Node
 * tests import it too.
 */
import { formatUsd } from "./money.js";

/** The parts of urql's CombinedError read here. */
export interface ErrorLike {
  message: string;
  graphQLErrors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  networkError?: { message: string } | null;
}

export interface Problem {
  /** the contract's code, or NETWORK when the server could not be reached */
  code: string;
  /** one line that says what happened */
  title: string;
  /** what to do about it, or the server's own words */
  detail: string;
  /** seconds after which the same request may succeed (RATE_LIMITED) */
  retryAfter?: number;
}

/** The first GraphQL error of an operation as a Problem. */
export function describeError(error: ErrorLike): Problem {
  const first = error.graphQLErrors?.[0];
  if (!first) {
    return {
      code: "NETWORK",
      title: "Reelay could not be reached",
      detail: "Check the connection and try again.",
    };
  }
  const extensions = first.extensions ?? {};
  const code = typeof extensions.code === "string" ? extensions.code : "ERROR";
  const said = first.message;
  switch (code) {
    case "UNAUTHENTICATED":
      return {
        code,
        title: "This key or token was not accepted",
        detail: `It may be mistyped, revoked or expired, or its user disabled (${said}).`,
      };
    case "FORBIDDEN":
      return { code, title: "Not allowed", detail: said };
    case "INSUFFICIENT_CREDIT": {
      const required = typeof extensions.required === "string" ? ` This needs ${formatUsd(extensions.required)}.` : "";
      return { code, title: "Not enough credit", detail: `${sentence(said)}${required} An admin can add credit to your account.` };
    }
    case "RATE_LIMITED": {
      const retryAfter = typeof extensions.retryAfter === "number" ? Math.max(1, Math.ceil(extensions.retryAfter)) : undefined;
      if (retryAfter === undefined) return { code, title: "Too many requests", detail: sentence(said) };
      return { code, title: "Too many requests", detail: `${sentence(said)} Try again in ${seconds(retryAfter)}.`, retryAfter };
    }
    case "PAYLOAD_TOO_LARGE":
      return { code, title: "Too large", detail: said };
    case "NO_CHANNEL":
      return { code, title: "No channel serves this model now", detail: said };
    case "UPSTREAM_ERROR":
      return { code, title: "The provider did not answer", detail: said };
    case "BAD_USER_INPUT":
      return { code, title: "Check the form", detail: said };
    case "NOT_FOUND":
      return { code, title: "Not found", detail: said };
    case "CONFLICT":
      return { code, title: "Conflict", detail: said };
    default:
      return { code, title: "Something went wrong", detail: said };
  }
}

/** Why a task ended FAILED, for its card: a content refusal says so and gives the provider's reason. */
export function describeTaskError(error: { code: string; message: string }): string {
  switch (error.code) {
    case "CONTENT_POLICY":
      return `Refused by the provider's content policy: ${error.message}`;
    case "TIMEOUT":
      return `Timed out: ${error.message}`;
    case "RATE_LIMITED":
      return `The provider was busy: ${error.message}`;
    default:
      return error.message;
  }
}

/** The server's words as a sentence, ending with a stop. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/** 1 → "1 second", 90 → "90 seconds" */
export const seconds = (n: number) => `${n} second${n === 1 ? "" : "s"}`;
