import { buildApp } from "./server.js";

/** `npm start`: one Reelay process, configured by the environment (see README). */
const app = await buildApp();
await app.start();

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1); // a second signal means "now"
    app.services.logger.info({ signal }, "shutting down");
    void app.stop().then(() => process.exit(0));
  });
}
