import { badInput } from "../errors.js";
import { adaptorFor, knownProviders } from "../providers/index.js";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_WEIGHT = 1000;

/** A channel as an admin describes it (the GraphQL ChannelInput); omitted options take their defaults. */
export interface ChannelInput {
  name: string;
  provider: string;
  baseUrl: string;
  apiKey: string;
  models: string[];
  enabled?: boolean | null;
  priority?: number | null;
  weight?: number | null;
  maxConcurrency?: number | null;
}

/** The columns of a channel, checked and normalised, apart from its name. */
export interface ChannelData {
  provider: string;
  baseUrl: string;
  apiKey: string;
  models: string[];
  enabled: boolean;
  priority: number;
  weight: number;
  maxConcurrency: number | null;
}

/** Checks a channel's input; BAD_USER_INPUT naming the field for the first thing wrong with it. */
export function parseChannelInput(input: ChannelInput): { name: string; data: ChannelData } {
  if (!NAME_PATTERN.test(input.name)) throw badInput("name must be 1 to 64 letters, digits, '.', '_' or '-'", { field: "name" });
  if (!adaptorFor(input.provider)) {
    throw badInput(`provider must be one of ${knownProviders().join(", ")}`, { field: "provider", allowed: knownProviders() });
  }
  const baseUrl = parseBaseUrl(input.baseUrl);
  const models = [...new Set(input.models.map((m) => m.trim()).filter(Boolean))];
  if (models.length === 0) throw badInput("models must name at least one model", { field: "models" });
  if (input.apiKey.trim() === "") throw badInput("apiKey must not be empty", { field: "apiKey" });
  const data: ChannelData = {
    provider: input.provider,
    baseUrl,
    apiKey: input.apiKey.trim(),
    models,
    enabled: input.enabled ?? true,
    priority: input.priority ?? 0,
    weight: input.weight ?? 1,
    maxConcurrency: input.maxConcurrency ?? null,
  };
  if (!Number.isInteger(data.weight) || data.weight < 1 || data.weight > MAX_WEIGHT)
    throw badInput(`weight must be 1 to ${MAX_WEIGHT}`, { field: "weight" });
  if (data.maxConcurrency !== null && data.maxConcurrency < 1)
    throw badInput("maxConcurrency must be at least 1, or null for no limit", { field: "maxConcurrency" });
  return { name: input.name, data };
}

/**
 * A channel's base URL is the provider's origin: every adaptor appends the API's own paths
 * (`/v1/videos`, `/api/v3/...`), so `https://host/v1` would end up calling `/v1/v1/videos`.
 * A path, query or fragment is refused; trailing slashes are dropped.
 */
function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput("baseUrl must be an absolute http(s) URL", { field: "baseUrl" });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw badInput("baseUrl must be an http(s) URL", { field: "baseUrl" });
  // `?` or `#` with nothing after them leave search and hash empty: look at what was sent
  if (!/^\/+$/.test(url.pathname) || /[?#]/.test(value)) {
    throw badInput(
      `baseUrl is the provider's origin only, such as ${url.origin}, without a path, query or fragment: the adaptor adds the API's paths itself`,
      { field: "baseUrl" },
    );
  }
  return url.toString().replace(/\/+$/, "");
}

/** Never the key itself: its first three and last four characters at most. */
export function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 3)}...${key.slice(-4)}` : "****";
}
