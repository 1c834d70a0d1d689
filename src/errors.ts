import { GraphQLError } from "graphql";

/** The contract's `extensions.code` values. */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  INSUFFICIENT_CREDIT: "INSUFFICIENT_CREDIT",
  NO_CHANNEL: "NO_CHANNEL",
  UPSTREAM_ERROR: "UPSTREAM_ERROR",
  RATE_LIMITED: "RATE_LIMITED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  CONFLICT: "CONFLICT",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  PAYLOAD_TOO_LARGE: 413,
};

/**
 * An expected failure that clients may see: a GraphQLError, so yoga's masking
 * lets it through with its code while every other thrown error is masked.
 */
export class ReelayError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    const status = HTTP_STATUS[code];
    super(message, {
      extensions: { code, ...details, ...(status ? { http: { status } } : {}) },
    });
    this.name = "ReelayError";
    this.code = code;
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) => new ReelayError(ErrorCode.BAD_USER_INPUT, message, details);

export const notFound = (what = "Not found") => new ReelayError(ErrorCode.NOT_FOUND, what);

/** Prisma's codes for the database failures Reelay expects and translates. */
export const PrismaErrorCode = {
  /** a unique constraint refused the write */
  UNIQUE_VIOLATION: "P2002",
  /** the row an update or delete needs does not exist */
  RECORD_NOT_FOUND: "P2025",
} as const;
export type PrismaErrorCode = (typeof PrismaErrorCode)[keyof typeof PrismaErrorCode];

/** True when a Prisma call failed with this code; every other failure is left to be rethrown (and masked). */
export function isPrismaError(err: unknown, code: PrismaErrorCode): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

/** the most of a message an error keeps: graphql-js quotes a bad variable's value whole, however large */
export const MAX_ERROR_MESSAGE_LENGTH = 240;
/** how much of a longer message survives, before the mark that it was cut */
const KEPT_MESSAGE_LENGTH = 200;

/**
 * Cuts a message longer than MAX_ERROR_MESSAGE_LENGTH to its first 200 characters, in place:
 * the same error goes on (yoga logs every error its mask replaces, which would log the input whole).
 */
export function boundMessage<E extends Error>(error: E): E {
  if (error.message.length > MAX_ERROR_MESSAGE_LENGTH) {
    error.message = `${error.message.slice(0, KEPT_MESSAGE_LENGTH)}… (${error.message.length - KEPT_MESSAGE_LENGTH} more characters)`;
  }
  return error;
}

/** PostgreSQL refuses text with NUL characters (SQLSTATE 22021): that is malformed input, not an internal error. */
export function isNulCharacterError(err: unknown): boolean {
  for (
    let e = err as
        | {
            code?: unknown;
            meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
            originalError?: unknown;
            cause?: unknown;
          }
        | undefined,
      depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.meta?.driverAdapterError?.cause?.originalCode === "22021") return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
