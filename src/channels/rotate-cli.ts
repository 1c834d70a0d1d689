// `npm run -s keys:rotate`: seals every channel key and webhook signing secret under the current ENCRYPTION_KEY.
//
// To rotate: set ENCRYPTION_KEY to the new key and ENCRYPTION_KEY_PREVIOUS to the old one,
// restart the instances (they read rows under either key), run this once, then drop
// ENCRYPTION_KEY_PREVIOUS. Running it again changes nothing. On the embedded database
// (pglite:), stop the server first: only one process can open it.
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/index.js";
import { resealWebhookSecrets } from "../webhooks/secret.js";
import { loadChannelKeys } from "./key-store.js";
import { resealChannelKeys } from "./reseal.js";

const config = loadConfig();
const database = await openDatabase(config.databaseUrl);
try {
  await database.migrate();
  const { keys } = await loadChannelKeys(config);
  const { resealed, unreadable } = await resealChannelKeys(database.db, keys, "rotate");
  console.log(`${resealed.length} channel key(s) re-encrypted under key ${keys.currentKeyId}`);
  if (unreadable.length) {
    console.error(
      `${unreadable.length} channel key(s) are encrypted under neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS and were left as they are: ${unreadable.join(", ")}`,
    );
    process.exitCode = 1;
  }
  const webhooks = await resealWebhookSecrets(database.db, keys);
  console.log(`${webhooks.resealed} user(s)' webhook signing secrets re-encrypted under key ${keys.currentKeyId}`);
  if (webhooks.unreadable.length) {
    console.error(
      `${webhooks.unreadable.length} user(s)' webhook secrets are encrypted under neither key and were left as they are: ${webhooks.unreadable.join(", ")}`,
    );
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
