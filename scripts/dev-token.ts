// Prints a bearer token signed with JWT_SECRET, or else with the random secret the server
// keeps in its data directory (created here if the server has not run yet), for trying
// Reelay out:  npm run token -- alice            (a user)
//              npm run token -- ops --admin      (an admin)
import { SignJWT } from "jose";
import { ConfigError, loadConfig } from "../src/config.js";
import { loadTokenSecret } from "../src/secrets.js";

const args = process.argv.slice(2);
const subject = args.find((a) => !a.startsWith("--"));
if (!subject) {
  console.error("usage: npm run token -- <subject> [--admin] [--hours N]");
  process.exit(2);
}
const hoursArg = args.indexOf("--hours");
const hours = hoursArg >= 0 ? Number(args[hoursArg + 1]) : 24;
try {
  const config = loadConfig();
  const jwtSecret = await loadTokenSecret(config);
  if (jwtSecret === null) {
    throw new ConfigError("tokens come from your identity provider (JWT_JWKS_URL); set JWT_SECRET to mint tokens here as well");
  }
  const jwt = new SignJWT(args.includes("--admin") ? { role: "admin" } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${hours}h`);
  if (config.jwtIssuer) jwt.setIssuer(config.jwtIssuer);
  if (config.jwtAudience.length) jwt.setAudience([...config.jwtAudience]);
  console.log(await jwt.sign(new TextEncoder().encode(jwtSecret)));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`npm run token: ${err.message}`);
  process.exit(1);
}
