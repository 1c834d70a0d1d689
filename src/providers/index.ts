import { chatSseAdaptor } from "./chat-sse.js";
import { dashscopeAdaptor } from "./dashscope.js";
import { geminiAdaptor } from "./gemini.js";
import { klingAdaptor } from "./kling.js";
import { openaiAdaptor } from "./openai.js";
import { seedanceAdaptor } from "./seedance.js";
import type { ProviderAdaptor } from "./types.js";

const ADAPTORS: ReadonlyMap<string, ProviderAdaptor> = new Map(
  [openaiAdaptor, geminiAdaptor, klingAdaptor, dashscopeAdaptor, seedanceAdaptor, chatSseAdaptor].map((a) => [a.name, a]),
);

export function adaptorFor(provider: string): ProviderAdaptor | undefined {
  return ADAPTORS.get(provider);
}

export const knownProviders = () => [...ADAPTORS.keys()];
