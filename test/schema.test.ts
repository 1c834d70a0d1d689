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

describe("typed client documents (client/operations.graphql → client/src/generated)", () => {
  it("are in step with schema.graphql and the operations (run `npm run codegen` after changing either)", () => {
    execFileSync("npx", ["graphql-codegen", "--config", "codegen.ts", "--check"], { stdio: "pipe" });
  });

  it("validate against the schema the server runs", async () => {
    const { validate } = await import("graphql");
    const { schema } = await import("../src/schema/index.js");
    const generated = await import("../client/src/generated/graphql.js");
    const documents = Object.entries(generated).filter(([name]) => name.endsWith("Document"));
    // one typed document for each operation written in operations.graphql, and nothing else
    const { parse, Kind } = await import("graphql");
    const written = parse(readFileSync("client/operations.graphql", "utf8")).definitions.flatMap((d) =>
      d.kind === Kind.OPERATION_DEFINITION && d.name ? [`${d.name.value}Document`] : [],
    );
    expect(written.length).toBeGreaterThan(20);
    expect(documents.map(([name]) => name).sort()).toEqual(written.sort());
    for (const [name, document] of documents) {
      expect(validate(schema, document as import("graphql").DocumentNode), name).toEqual([]);
    }
  });
});
