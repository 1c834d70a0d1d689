import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { printSchemaFile } from "../src/schema/print.js";

const CONTRACT_TOOL = path.resolve("../shared/tools/check-contract.mjs");

describe("schema.graphql", () => {
  it("is exactly what the Pothos builder prints (run `npm run schema:print` after changing the schema)", () => {
    expect(readFileSync("schema.graphql", "utf8")).toBe(printSchemaFile());
  });

  it.skipIf(!existsSync(CONTRACT_TOOL))("contains the whole public contract", () => {
    const out = execFileSync("node", [CONTRACT_TOOL, "schema.graphql"], { encoding: "utf8" });
    expect(out).toContain("all of it is there");
  });
});
