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

describe("typed client documents (client/operations.graphql → client/generated)", () => {
  it("are in step with schema.graphql and the operations (run `npm run codegen` after changing either)", () => {
    execFileSync("npx", ["graphql-codegen", "--config", "codegen.ts", "--check"], { stdio: "pipe" });
  });

  it("validate against the schema the server runs", async () => {
    const { validate } = await import("graphql");
    const { schema } = await import("../src/schema/index.js");
    const generated = await import("../client/generated/graphql.js");
    const documents = Object.entries(generated).filter(([name]) => name.endsWith("Document"));
    expect(documents.map(([name]) => name).sort()).toEqual([
      "CancelTaskDocument",
      "CreateVideoDocument",
      "LedgerOfDocument",
      "MeDocument",
      "ModelsDocument",
      "MyLedgerDocument",
      "RemixVideoDocument",
      "TaskProgressDocument",
      "TasksDocument",
      "UsageDocument",
      "VideoTaskDocument",
    ]);
    for (const [name, document] of documents) {
      expect(validate(schema, document as import("graphql").DocumentNode), name).toEqual([]);
    }
  });
});
