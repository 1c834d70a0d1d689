// `npm run -s apikey -- <subject> [--admin]`: prints a new API key for the user with that
// subject, creating the user (with the admin role under --admin, which also promotes a user
// who exists). The bootstrap of a fresh install: the first admin's key, with no JWT minted by
// hand. Reads DATABASE_URL and DATA_DIR like the server and migrates first. On the embedded
// database (pglite:), stop the server first: only one process can open it.
import { createApiKey, userForSubject } from "./api-keys.js";
import { ConfigError, loadConfig } from "./config.js";
import { openDatabase } from "./db/index.js";
import { ReelayError } from "./errors.js";

const USAGE = "usage: npm run -s apikey -- <subject> [--admin] [--name NAME]";

const args = process.argv.slice(2);
const nameAt = args.indexOf("--name");
const name = nameAt >= 0 ? args[nameAt + 1] : "created with npm run apikey";
const subject = args.find((arg, i) => !arg.startsWith("--") && (nameAt < 0 || i !== nameAt + 1));
if (!subject || name === undefined) {
  console.error(USAGE);
  process.exit(2);
}
try {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  try {
    await database.migrate();
    const userId = await userForSubject(database.db, subject, args.includes("--admin") ? "ADMIN" : undefined);
    // an operator's command: audited with no actor, like npm run keys:rotate
    const { key } = await createApiKey(database.db, { userId, subject, name, expiresAt: null, audit: { actor: null } }, Date.now());
    console.log(key);
  } finally {
    await database.close();
  }
} catch (err) {
  // a bad environment or subject: its message is the whole story
  if (!(err instanceof ConfigError || err instanceof ReelayError)) throw err;
  console.error(`npm run apikey: ${err.message}`);
  process.exitCode = 1;
}
