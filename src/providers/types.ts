import type { Readable } from "node:stream";
import type { ReferenceImage } from "../media/reference-image.js";

/** The upstream configuration a task runs on. */
export interface ChannelConfig {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  apiKey: string;
}

/** A task as the adaptor sees it after submission. */
export interface UpstreamTask {
  upstreamId: string;
  /** adaptor-private state saved at submission (e.g. which endpoint family) */
  state: unknown;
  model: string;
}

/** What a model makes. */
/** What a model makes and how it is priced: the database's own enums. */
import type { MediaType as MediaKind, PriceUnit } from "../generated/prisma/enums.js";

export type { MediaKind, PriceUnit };

/** What Reelay knows about a model: what input it takes and how it is priced by default. */
export interface ModelSpec {
  id: string;
  /** the adaptor that speaks to this model's channels */
  provider: string;
  mediaType: MediaKind;
  seconds: { allowed: readonly number[]; default: number } | null;
  sizes: { allowed: readonly string[]; default: string } | null;
  /** aspect ratio → the size it selects when no size is given */
  aspectRatios: Readonly<Record<string, string>>;
  maxPromptLength: number;
  acceptsReferenceImage: boolean;
  priceUnit: PriceUnit;
  /** nano-dollars per unit, by size ("*" = any size) */
  defaultPrices: Readonly<Record<string, bigint>>;
  /** frames per second of the output, for models priced by tokens (tokens ≈ width × height × fps × seconds / 1024) */
  fps?: number;
  /** rules across fields (e.g. 1080p only at 8 seconds): the field at fault and why, when refused */
  check?(params: { seconds: number | null; size: string | null; hasReference: boolean }): { field: string; message: string } | null;
}

/** One generation as the caller asks for it, checked against the model's spec and with its defaults filled in. */
export interface SubmitRequest {
  model: string;
  /** what the model makes, from its spec (an adaptor may call different endpoints for each); absent means VIDEO */
  mediaType?: MediaKind;
  prompt: string;
  seconds: number | null;
  size: string | null;
  aspectRatio: string | null;
  reference: ReferenceImage | null;
}

export type UpstreamStatus = "QUEUED" | "PROCESSING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** What the provider produced, as it reports it; settlement charges by this. */
export interface Usage {
  seconds?: number;
  images?: number;
  tokens?: number;
}

/** One reading of the upstream job. */
export interface UpstreamSnapshot {
  status: UpstreamStatus;
  /** 0..100 when the provider reports it */
  progress?: number;
  /** the progress is the adaptor's estimate from the time (the provider reports none): it says nothing of a stall */
  progressEstimated?: boolean;
  /** what the provider said of its next answer: wait at least this long (Retry-After), or how long it expects the job to take still */
  hints?: { retryAfterMs?: number; remainingMs?: number };
  error?: { code: string; message: string };
  usage?: Usage;
  /** provider data the download step needs (e.g. result URLs) */
  result?: unknown;
  /** when the provider deletes the finished media, if it says */
  mediaExpiresAt?: Date;
}

export interface SubmitResult {
  upstreamId: string;
  state?: unknown;
  snapshot: UpstreamSnapshot;
}

export interface Download {
  body: Readable;
  contentType: string | null;
  contentLength: number | null;
  /** set when the provider answered a byte range (206) */
  range?: { start: number; end: number; total: number | null };
}

/** One provider protocol. Options objects, only the calls Reelay makes. */
export interface ProviderAdaptor {
  readonly name: string;
  /** how long the provider usually takes for a job; the adaptive poll interval reads it */
  readonly typicalGenerationMs?: number;
  /** how long the provider keeps finished media when a snapshot does not say */
  readonly resultRetentionMs?: number;
  /**
   * `callbackUrl`: where a provider that pushes (Kling's callback_url) reports changes of the
   * job; adaptors of providers that do not push ignore it.
   */
  submit(options: { channel: ChannelConfig; request: SubmitRequest; callbackUrl?: string; signal?: AbortSignal }): Promise<SubmitResult>;
  /** `fresh`: the stall check's poll, which asks past any cache between Reelay and the provider */
  poll(options: { channel: ChannelConfig; task: UpstreamTask; fresh?: boolean; signal?: AbortSignal }): Promise<UpstreamSnapshot>;
  /** absent when the provider has no way to stop a job */
  cancel?(options: { channel: ChannelConfig; task: UpstreamTask; signal?: AbortSignal }): Promise<void>;
  /** absent when the provider cannot remix */
  remix?(options: { channel: ChannelConfig; task: UpstreamTask; prompt: string; signal?: AbortSignal }): Promise<SubmitResult>;
  /**
   * Push model (chat-completions resellers): one long request streams progress and ends
   * with the result; there is no job to poll. The worker runs it and holds the task's lease.
   * Failures before any content arrived are retried up to `attempts` times.
   */
  stream?(options: {
    channel: ChannelConfig;
    request: SubmitRequest;
    onProgress(progress: number): void;
    attempts?: number;
    retryBaseMs?: number;
    signal?: AbortSignal;
  }): Promise<UpstreamSnapshot>;
  /** the finished media; null when the provider has none of that variant */
  download(options: {
    channel: ChannelConfig;
    task: UpstreamTask;
    snapshot: UpstreamSnapshot;
    variant: "video" | "thumbnail";
    /** inclusive byte range, for serving the provider's copy before it is mirrored */
    range?: { start: number; end: number };
    signal?: AbortSignal;
    /** ALLOW_PRIVATE_NETWORKS: a result URL off the channel's origin may reach private addresses (development and tests only) */
    allowPrivateNetworks?: boolean;
  }): Promise<Download | null>;
}

/**
 * One provider as the registry lists it: its adaptor, and the models Reelay knows it for
 * (the registry sets each model's `provider` to the adaptor's name).
 */
export interface Provider {
  adaptor: ProviderAdaptor;
  models: readonly Omit<ModelSpec, "provider">[];
}
