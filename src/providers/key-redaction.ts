import type { ProviderAdaptor, SubmitResult, UpstreamSnapshot } from "./types.js";

/** what a channel's key becomes in a provider's message */
const REDACTED = "[redacted]";
/** parts of a key shorter than this are left alone: they could be ordinary words */
const MIN_SECRET_LENGTH = 8;

/** The secrets in a channel's key, longest first: the whole key and, for ACCESS:SECRET keys (Kling), each part. */
function secretsOf(apiKey: string): string[] {
  return [apiKey, ...apiKey.split(/[:|]/)].filter((secret) => secret.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** `text` with every secret of the channel's key replaced. */
export function redactKey(text: string, apiKey: string): string {
  return secretsOf(apiKey).reduce((redacted, secret) => redacted.replaceAll(secret, REDACTED), text);
}

/**
 * The adaptor as the calls on one channel see it. Some gateways repeat the Authorization header
 * or the key in their error messages; those messages are stored on tasks and channels, logged
 * and shown, so the key is taken out of every error and reported failure an adaptor returns.
 */
export function redactingKey(adaptor: ProviderAdaptor, apiKey: string): ProviderAdaptor {
  const error = (err: unknown) => {
    if (err instanceof Error) {
      err.message = redactKey(err.message, apiKey);
      if (err.stack) err.stack = redactKey(err.stack, apiKey);
    }
    return Promise.reject(err);
  };
  const snapshot = (s: UpstreamSnapshot): UpstreamSnapshot =>
    s.error ? { ...s, error: { ...s.error, message: redactKey(s.error.message, apiKey) } } : s;
  const submitted = (result: SubmitResult): SubmitResult => ({ ...result, snapshot: snapshot(result.snapshot) });
  const { cancel, remix, stream } = adaptor;
  // Spread first, so the adaptor's other members stay as they are.
  return {
    ...adaptor,
    submit: (options) => adaptor.submit(options).then(submitted, error),
    poll: (options) => adaptor.poll(options).then(snapshot, error),
    download: (options) => adaptor.download(options).catch(error),
    cancel: cancel && ((options) => cancel.call(adaptor, options).catch(error)),
    remix: remix && ((options) => remix.call(adaptor, options).then(submitted, error)),
    stream: stream && ((options) => stream.call(adaptor, options).then(snapshot, error)),
  };
}
