// Prints a bearer token signed with JWT_SECRET (or the development secret), for
// trying Reelay out: npm run token -- alice            (a user)
//                    npm run token -- ops --admin      (an admin)
import { SignJWT } from "jose";
import { loadConfig } from "../src/config.js";

const args = process.argv.slice(2);
const subject = args.find((a) => !a.startsWith("--"));
if (!subject) {
  console.error("usage: npm run token -- <subject> [--admin] [--hours N]");
  process.exit(2);
}
const hoursArg = args.indexOf("--hours");
const hours = hoursArg >= 0 ? Number(args[hoursArg + 1]) : 24;
const config = loadConfig();
const token = await new SignJWT(args.includes("--admin") ? { role: "admin" } : {})
  .setProtectedHeader({ alg: "HS256" })
  .setSubject(subject)
  .setIssuedAt()
  .setExpirationTime(`${hours}h`)
  .sign(new TextEncoder().encode(config.jwtSecret));
console.log(token);
