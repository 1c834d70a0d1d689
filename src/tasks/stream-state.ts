import type { ReferenceImage } from "../media/reference-image.js";
import type { SubmitRequest } from "../providers/types.js";

/** A reference image as a stream task keeps it: JSON, the bytes in base64. */
type StoredReference = Omit<ReferenceImage, "bytes"> & { base64: string };

/** A request as a JSON column keeps it until it is submitted, reference bytes included. */
export type StoredRequest = Omit<SubmitRequest, "reference"> & { reference: StoredReference | null };

/**
 * What a streamed task carries from creation to the worker that runs it, in its
 * `upstreamState` column. (A type, not an interface, so that it is a JSON column's value.)
 */
export type StreamState = {
  stream: true;
  /** set when a worker opened the stream: a stream cannot be resumed by another */
  started: boolean;
  request: StoredRequest;
};

export const isStreamState = (state: unknown): state is StreamState =>
  typeof state === "object" && state !== null && "stream" in state && state.stream === true;

/** The state saved at creation: the request is replayed by the worker that opens the stream. */
export function streamState(request: SubmitRequest): StreamState {
  return { stream: true, started: false, request: storeRequest(request) };
}

/** The request a stream state was saved from, reference bytes included. */
export const streamRequest = (state: StreamState): SubmitRequest => restoreRequest(state.request);

/** A request as JSON, the reference image's bytes in base64. */
export function storeRequest(request: SubmitRequest): StoredRequest {
  const { reference, ...rest } = request;
  return {
    ...rest,
    reference: reference
      ? {
          mimeType: reference.mimeType,
          filename: reference.filename,
          sha256: reference.sha256,
          base64: Buffer.from(reference.bytes).toString("base64"),
        }
      : null,
  };
}

/** The request `storeRequest` kept, reference bytes included. */
export function restoreRequest(stored: StoredRequest): SubmitRequest {
  const { reference, ...request } = stored;
  if (!reference) return { ...request, reference: null };
  const { base64, ...image } = reference;
  return { ...request, reference: { ...image, bytes: Buffer.from(base64, "base64") } };
}
