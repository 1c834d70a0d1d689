import type { Prisma } from "../generated/prisma/client.js";

/**
 * What an adaptor hands back to be kept (its state at submission, a finished job's result) as
 * the value of a JSON column; undefined for nothing. Adaptors keep plain JSON: anything else
 * is a programming error, refused here rather than stored in some altered form.
 */
export function jsonValue(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJson(value)) throw new TypeError("an adaptor returned data that is not plain JSON");
  return value;
}

function isJson(value: unknown): value is Prisma.InputJsonValue {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "object":
      if (value === null) return false;
      if (Array.isArray(value)) return value.every((item) => item === null || isJson(item));
      if ("toJSON" in value && typeof value.toJSON === "function") return true; // a Date, stored as its JSON form
      return Object.values(value).every((item) => item === null || item === undefined || isJson(item));
    default:
      return false;
  }
}
