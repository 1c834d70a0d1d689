import type * as dns from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Fake DNS for code that resolves through node:dns/promises: tests decide what a hostname
 * resolves to, and no real DNS query is ever made. Install it in the test file with
 * `vi.mock("node:dns/promises", async (original) => (await import("…/fake-dns.js")).withFakeLookup(await original()))`.
 */
export const fakeDns = {
  /** hostname → the addresses it resolves to; a hostname not here does not resolve */
  records: new Map<string, string[]>(),
  /** every hostname looked up, in order */
  queries: [] as string[],
  reset() {
    fakeDns.records.clear();
    fakeDns.queries.length = 0;
  },
};

/** node:dns/promises with `lookup` answered from `fakeDns.records`. */
export function withFakeLookup(actual: typeof dns) {
  const lookup = async (host: string) => {
    fakeDns.queries.push(host);
    const answers = fakeDns.records.get(host);
    if (!answers) throw Object.assign(new Error(`fake DNS has no record for ${host}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: isIP(address) }));
  };
  return { ...actual, lookup, default: { ...actual, lookup } };
}
