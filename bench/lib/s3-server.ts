// The S3-compatible test server (s3rver) in its own process. Prints its storage settings
// as one JSON line; exits when stdin closes.
import { startTestS3 } from "../../test/helpers/s3.js";

const s3 = await startTestS3("bench-media");
console.log(JSON.stringify(s3.config()));
process.stdin.resume();
process.stdin.on("end", () => void s3.close().then(() => process.exit(0)));
