import type { IncomingMessage } from "node:http";
import type { Config } from "../config.js";
import { ErrorCode, ReelayError } from "../errors.js";
import { RestRequestError } from "./errors.js";

/**
 * The most a body of text fields may take: a 4,000-character prompt (the longest any model
 * takes) even with every character escaped as \uXXXX is 24 KiB; the rest is room for the
 * other fields and the multipart framing.
 */
const TEXT_BODY_BYTES = 64 * 1024;

/** How a route's body may come, and how large each form of it may be. */
export interface BodyRules {
  /** multipart/form-data is accepted besides JSON */
  form: boolean;
  /** the body may carry a reference image */
  image: boolean;
}

/**
 * The byte limit of a body: text fields only, or room for one reference image as well (as
 * a file in a multipart body, or base64 in JSON, a third larger).
 */
export function bodyLimit(config: Pick<Config, "maxReferenceImageBytes">, rules: BodyRules, multipart: boolean): number {
  if (!rules.image) return TEXT_BODY_BYTES;
  const image = multipart ? config.maxReferenceImageBytes : Math.ceil(config.maxReferenceImageBytes / 3) * 4;
  return TEXT_BODY_BYTES + image;
}

const tooLarge = (maxBytes: number) =>
  new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than the ${maxBytes}-byte limit`, { maxBytes });

/**
 * Reads a request's body as the route takes it: JSON into a value, multipart/form-data into
 * an object of its fields (`name[key]` into nested objects, `name[]` into arrays) with at
 * most one file. The body is counted as it arrives and refused with PAYLOAD_TOO_LARGE as
 * soon as it passes the limit, before anything parses it; an empty body reads as `{}`.
 */
export async function readBody(
  req: IncomingMessage,
  config: Pick<Config, "maxReferenceImageBytes">,
  rules: BodyRules,
): Promise<{ value: unknown; multipart: boolean }> {
  const type = req.headers["content-type"] ?? "";
  const kind = type.split(";", 1)[0].trim().toLowerCase();
  const multipart = kind === "multipart/form-data";
  if ((multipart && !rules.form) || (!multipart && kind !== "application/json" && kind !== "")) throw unsupported(type);
  const bytes = await readBounded(req, bodyLimit(config, rules, multipart));
  if (bytes.length === 0) return { value: {}, multipart };
  if (multipart) return { value: formFields(await parseForm(type, bytes)), multipart };
  try {
    return { value: JSON.parse(bytes.toString("utf8")), multipart };
  } catch {
    throw new RestRequestError(400, "We could not parse the JSON body of your request.", "invalid_json");
  }
}

const unsupported = (type: string) =>
  new RestRequestError(
    400,
    `Unsupported content type "${type.slice(0, 100)}": use application/json or multipart/form-data`,
    "unsupported_content_type",
  );

/** The whole body when it is at most `maxBytes`; PAYLOAD_TOO_LARGE as soon as the declared length or the bytes so far pass it. */
function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(req, maxBytes);
      return reject(tooLarge(maxBytes));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) return void chunks.push(chunk);
      stop();
      discard(req, maxBytes);
      reject(tooLarge(maxBytes));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, total));
    };
    const onError = () => {
      stop();
      reject(new RestRequestError(400, "The request body could not be read", "invalid_body"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * Drops the rest of a refused body, so the refusal reaches a client that is still sending;
 * past `maxBytes` more, the connection is cut.
 */
function discard(req: IncomingMessage, maxBytes: number) {
  let dropped = 0;
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBytes) req.destroy();
  });
  req.on("error", () => {}); // the client went away: nothing left to drop
  req.resume();
}

/** The body is whole and within its limit here, so the platform's parser may buffer it. */
async function parseForm(type: string, bytes: Buffer): Promise<FormData> {
  try {
    return await new Request("http://reelay.invalid/", {
      method: "POST",
      headers: { "content-type": type },
      body: new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length),
    }).formData();
  } catch {
    throw new RestRequestError(400, "We could not parse the multipart body of your request.", "invalid_multipart");
  }
}

const BRACKETED = /^([A-Za-z0-9_]+)\[([A-Za-z0-9_]*)\]$/;

/** Form fields as an object: `input_reference[image_url]` → `{ input_reference: { image_url } }`, `webhook_events[]` → an array. */
function formFields(form: FormData): Record<string, unknown> {
  const fields = new Map<string, unknown>();
  const nested = new Map<string, Map<string, unknown>>();
  let files = 0;
  for (const [name, value] of form) {
    if (typeof value !== "string" && ++files > 1) throw new RestRequestError(400, "A request carries at most one file", "too_many_files");
    const [, base, key] = BRACKETED.exec(name) ?? [];
    if (base === undefined) fields.set(name, value);
    else if (key === "") fields.set(base, [...(Array.isArray(fields.get(base)) ? (fields.get(base) as unknown[]) : []), value]);
    else nested.set(base, (nested.get(base) ?? new Map()).set(key, value));
  }
  // fromEntries defines own properties: a field named __proto__ stays a plain (ignored) field
  for (const [base, entries] of nested) if (!fields.has(base)) fields.set(base, Object.fromEntries(entries));
  return Object.fromEntries(fields);
}
