import type { ReferenceImage } from "../media/reference-image.js";
import type { SubmitRequest } from "../providers/types.js";

/** A reference image as a stream task keeps it: JSON, the bytes in base64. */
type StoredReference = Omit<ReferenceImage, "bytes"> & { base64: string };

/**
 * What a streamed task carries from creation to the worker that runs it, in its
 * `upstreamState` column. (A type, not an interface, so that it is a JSON column's value.)
 */
export type StreamState = {
  stream: true;
  /** set when a worker opened the stream: a stream cannot be resumed by another */
  started: boolean;
  request: Omit<SubmitRequest, "reference"> & { reference: StoredReference | null };
};

export const isStreamState = (state: unknown): state is StreamState =>
  typeof state === "object" && state !== null && "stream" in state && state.stream === true;

/** The state saved at creation: the request is replayed by the worker that opens the stream. */
export function streamState(request: SubmitRequest): StreamState {
  const { reference, ...rest } = request;
  return {
    stream: true,
    started: false,
    request: {
      ...rest,
      reference: reference
        ? {
            mimeType: reference.mimeType,
            filename: reference.filename,
            sha256: reference.sha256,
            base64: Buffer.from(reference.bytes).toString("base64"),
          }
        : null,
    },
  };
}

/** The request a stream state was saved from, reference bytes included. */
export function streamRequest(state: StreamState): SubmitRequest {
  const { reference, ...request } = state.request;
  if (!reference) return { ...request, reference: null };
  const { base64, ...image } = reference;
  return { ...request, reference: { ...image, bytes: Buffer.from(base64, "base64") } };
}
