/** Reference images of every accepted type, and the assertions the media tests share. */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { ReelayError } from "../../src/errors.js";
import { tinyGif, tinyJpeg, tinyPng, tinyWebp, withAllByteValues } from "../helpers/images.js";

export const PNG = tinyPng();
export const JPEG = tinyJpeg();
export const WEBP = tinyWebp();
export const GIF = tinyGif();

/** One image of each type, with every byte value after its end marker. */
export const IMAGES = [
  { name: "png", mime: "image/png", bytes: withAllByteValues(PNG), filename: "reference.png" },
  { name: "jpeg", mime: "image/jpeg", bytes: withAllByteValues(JPEG), filename: "reference.jpg" },
  { name: "webp", mime: "image/webp", bytes: withAllByteValues(WEBP), filename: "reference.webp" },
  { name: "gif", mime: "image/gif", bytes: withAllByteValues(GIF), filename: "reference.gif" },
] as const;
export const NOT_AN_IMAGE = Buffer.from("%PDF-1.7 definitely not an image\n");
export const NOT_IMAGE_MESSAGE = "inputReference is not a PNG, JPEG, WebP or GIF image";

/** The size limit most tests read and fetch under. */
export const LIMIT = 64 * 1024;

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
export const dataUrl = (mime: string, bytes: Uint8Array) => `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;

async function rejectionOf(promise: Promise<unknown>): Promise<ReelayError> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error, "expected the promise to reject").toBeInstanceOf(ReelayError);
  return error as ReelayError;
}

/** Expects a BAD_USER_INPUT refusal, with `message` (exact when a string) if given. */
export async function expectBadInput(promise: Promise<unknown>, message?: RegExp | string): Promise<ReelayError> {
  const err = await rejectionOf(promise);
  expect(err.code).toBe("BAD_USER_INPUT");
  expect(err.extensions.code).toBe("BAD_USER_INPUT");
  if (typeof message === "string") expect(err.message).toBe(message);
  else if (message) expect(err.message).toMatch(message);
  return err;
}

export async function expectTooLarge(promise: Promise<unknown>): Promise<ReelayError> {
  const err = await rejectionOf(promise);
  expect(err.code).toBe("PAYLOAD_TOO_LARGE");
  expect(err.extensions.code).toBe("PAYLOAD_TOO_LARGE");
  return err;
}

export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(actual).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
}
