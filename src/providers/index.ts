import { chatSse } from "./chat-sse.js";
import { dashscope } from "./dashscope.js";
import { gemini } from "./gemini.js";
import { kling } from "./kling.js";
import { openai } from "./openai.js";
import { seedance } from "./seedance.js";
import type { ModelSpec, Provider, ProviderAdaptor } from "./types.js";

/** Every provider Reelay speaks to: a new one is its own module and one entry here. */
const PROVIDERS: readonly Provider[] = [openai, gemini, kling, dashscope, seedance, chatSse];

const ADAPTORS: ReadonlyMap<string, ProviderAdaptor> = new Map(PROVIDERS.map(({ adaptor }) => [adaptor.name, adaptor]));

export function adaptorFor(provider: string): ProviderAdaptor | undefined {
  return ADAPTORS.get(provider);
}

export const knownProviders = () => [...ADAPTORS.keys()];

/** The models every provider module lists, each with the name of its provider's adaptor. */
export const providerModels = (): ModelSpec[] =>
  PROVIDERS.flatMap(({ adaptor, models }) => models.map((model) => ({ ...model, provider: adaptor.name })));
