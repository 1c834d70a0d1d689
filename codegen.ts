import type { CodegenConfig } from "@graphql-codegen/cli";

/** Typed client documents from schema.graphql and client/operations.graphql: `npm run codegen`. */
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["client/operations.graphql"],
  ignoreNoDocuments: false,
  // ESM output with .js import suffixes, as NodeNext resolution needs
  emitLegacyCommonJSImports: false,
  generates: {
    "client/src/generated/": {
      preset: "client",
      config: {
        scalars: { DateTime: "string", Money: "string", Upload: "File", JSON: "unknown" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
