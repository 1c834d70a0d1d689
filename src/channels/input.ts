import { badInput } from "../errors.js";
import type { WhenFull } from "../generated/prisma/enums.js";
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
  /** provider polls per second for the channel's tasks, shared by every worker; null or omitted: no limit */
  pollsPerSecond?: number | null;
  /** what a new task does when this channel, and every other that could take it, is full; QUEUE by default */
  whenFull?: WhenFull | null;
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
  pollsPerSecond: number | null;
  whenFull: WhenFull;
}

/**
 * A partial change to a channel (the GraphQL ChannelPatch): only the fields given change; the
 * key stays as it is unless a new one is given. `maxConcurrency: null` removes the limit.
 */
export interface ChannelPatch {
  name?: string | null;
  baseUrl?: string | null;
  apiKey?: string | null;
  models?: string[] | null;
  enabled?: boolean | null;
  priority?: number | null;
  weight?: number | null;
  maxConcurrency?: number | null;
  pollsPerSecond?: number | null;
  whenFull?: WhenFull | null;
}

/** A patch checked by the same rules as a whole channel: the columns to write, apart from the key. */
export type ParsedChannelPatch = Partial<ChannelData> & { name?: string };

/** Checks a channel's input; BAD_USER_INPUT naming the field for the first thing wrong with it. */
export function parseChannelInput(input: ChannelInput): { name: string; data: ChannelData } {
  const name = parseName(input.name);
  if (!adaptorFor(input.provider)) {
    throw badInput(`provider must be one of ${knownProviders().join(", ")}`, { field: "provider", allowed: knownProviders() });
  }
  const data: ChannelData = {
    provider: input.provider,
    baseUrl: parseBaseUrl(input.baseUrl),
    models: parseModels(input.models),
    apiKey: parseApiKey(input.apiKey),
    enabled: input.enabled ?? true,
    priority: input.priority ?? 0,
    weight: parseWeight(input.weight ?? 1),
    maxConcurrency: parseMaxConcurrency(input.maxConcurrency ?? null),
    pollsPerSecond: parsePollsPerSecond(input.pollsPerSecond ?? null),
    whenFull: input.whenFull ?? "QUEUE",
  };
  return { name, data };
}

/**
 * Checks the fields a patch gives, each by the rule `parseChannelInput` applies to it; a field
 * given as null is refused, except maxConcurrency and pollsPerSecond, where null means no limit.
 */
export function parseChannelPatch(patch: ChannelPatch): ParsedChannelPatch {
  const parsed: ParsedChannelPatch = {};
  const given = <K extends keyof ChannelPatch>(field: K): NonNullable<ChannelPatch[K]> | undefined => {
    const value = patch[field];
    if (value === undefined) return undefined;
    if (value === null) throw badInput(`${field} must not be null: omit it to keep the channel's ${field}`, { field });
    return value as NonNullable<ChannelPatch[K]>;
  };
  const name = given("name");
  if (name !== undefined) parsed.name = parseName(name);
  const baseUrl = given("baseUrl");
  if (baseUrl !== undefined) parsed.baseUrl = parseBaseUrl(baseUrl);
  const models = given("models");
  if (models !== undefined) parsed.models = parseModels(models);
  const apiKey = given("apiKey");
  if (apiKey !== undefined) parsed.apiKey = parseApiKey(apiKey);
  const enabled = given("enabled");
  if (enabled !== undefined) parsed.enabled = enabled;
  const priority = given("priority");
  if (priority !== undefined) parsed.priority = priority;
  const weight = given("weight");
  if (weight !== undefined) parsed.weight = parseWeight(weight);
  if (patch.maxConcurrency !== undefined) parsed.maxConcurrency = parseMaxConcurrency(patch.maxConcurrency);
  if (patch.pollsPerSecond !== undefined) parsed.pollsPerSecond = parsePollsPerSecond(patch.pollsPerSecond);
  const whenFull = given("whenFull");
  if (whenFull !== undefined) parsed.whenFull = whenFull;
  return parsed;
}

function parseName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw badInput("name must be 1 to 64 letters, digits, '.', '_' or '-'", { field: "name" });
  return name;
}

function parseModels(value: string[]): string[] {
  const models = [...new Set(value.map((m) => m.trim()).filter(Boolean))];
  if (models.length === 0) throw badInput("models must name at least one model", { field: "models" });
  return models;
}

function parseApiKey(value: string): string {
  if (value.trim() === "") throw badInput("apiKey must not be empty", { field: "apiKey" });
  return value.trim();
}

function parseWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT)
    throw badInput(`weight must be 1 to ${MAX_WEIGHT}`, { field: "weight" });
  return weight;
}

function parseMaxConcurrency(limit: number | null): number | null {
  if (limit !== null && limit < 1) throw badInput("maxConcurrency must be at least 1, or null for no limit", { field: "maxConcurrency" });
  return limit;
}

/** the most polls a second a channel may be given: more is no budget at all */
const MAX_POLLS_PER_SECOND = 10_000;

function parsePollsPerSecond(limit: number | null): number | null {
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > MAX_POLLS_PER_SECOND))
    throw badInput(`pollsPerSecond must be 1 to ${MAX_POLLS_PER_SECOND}, or null for no limit`, { field: "pollsPerSecond" });
  return limit;
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
