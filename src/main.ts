// `npm start`: one Reelay process, configured by the environment (see README).
import { type Config, ConfigError, loadConfig } from "./config.js";
import { openDatabase } from "./db/index.js";
import { PGLITE_TEMPLATE_DIR } from "./db/template.js";

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // A setting to fix, not a crash: its message alone, and a failed exit for the supervisor.
  console.error(`reelay cannot start: ${err.message}`);
  process.exit(1);
}

// The database opens while the rest of the server's modules load: the embedded default
// boots PostgreSQL compiled to WebAssembly, a large share of the time to /ready. A new
// embedded database is copied from the template made at install (db/template.ts).
const database = openDatabase(config.databaseUrl, { template: PGLITE_TEMPLATE_DIR });
database.catch(() => {}); // buildApp awaits it and fails with its error
const { buildApp } = await import("./server.js");

const app = await buildApp({ config, database });
await app.start();

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1); // a second signal means "now"
    app.services.logger.info({ signal }, "shutting down");
    void app.stop().then(() => process.exit(0));
  });
}
