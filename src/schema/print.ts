import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index.js";

/** The checked-in schema.graphql: sorted, so diffs show real changes only. */
export const printSchemaFile = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
