// `npm run -s db:template`, run by postinstall: makes the embedded database's template for
// the current migrations (see template.ts), silently. When it cannot, it says so and exits
// 0: an install never fails for it, and the first start creates the database itself.
import { buildPgliteTemplate, PGLITE_TEMPLATE_DIR } from "./template.js";

try {
  await buildPgliteTemplate();
} catch (err) {
  console.warn(
    `reelay: no template for the embedded database at ${PGLITE_TEMPLATE_DIR} (${(err as Error).message}); the first npm start creates and migrates the database instead.`,
  );
}
