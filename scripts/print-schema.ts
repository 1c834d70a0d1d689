// Prints the schema built by Pothos into schema.graphql (checked in; a test fails when they differ).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSchemaFile } from "../src/schema/print.js";

const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
writeFileSync(target, printSchemaFile());
console.log(`wrote ${target}`);
