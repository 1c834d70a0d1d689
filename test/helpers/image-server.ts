import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A local HTTPS server with a throwaway self-signed certificate, serving one image at every path. */
export interface ImageServer {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** the certificate, for `referenceFetch: { ca }` */
  ca: string;
  /** TCP connections accepted so far: a fetch that was never attempted leaves this at zero */
  connections(): number;
  close(): Promise<void>;
}

export async function startImageServer(image: Uint8Array, type = "image/png"): Promise<ImageServer> {
  const dir = mkdtempSync(join(tmpdir(), "reelay-image-tls-"));
  try {
    const [keyPath, certPath] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost"].concat([
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-days",
        "1",
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ]),
      { stdio: "ignore" },
    );
    const ca = readFileSync(certPath, "utf8");
    const server = https.createServer({ key: readFileSync(keyPath), cert: ca }, (_req, res) => {
      res.writeHead(200, { "content-type": type }).end(image);
    });
    let connections = 0;
    server.on("connection", () => connections++); // raw TCP accepts, before TLS or HTTP
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      ca,
      connections: () => connections,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
