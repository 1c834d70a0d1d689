import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { RequestListener } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** A local HTTPS server; its fields are filled in by `beforeAll`. */
export interface TestHttpsServer {
  /** https://127.0.0.1:<port> */
  origin: string;
  port: number;
  /** the PEM certificate to trust for it */
  ca: string;
  /** raw TCP connections accepted so far, counted before TLS or HTTP; a test may reset it */
  connections: number;
}

/**
 * An HTTPS server on 127.0.0.1 with a throwaway self-signed certificate for 127.0.0.1,
 * localhost and `dnsNames`, serving `handler` for the file (or block).
 */
export function useHttpsServer(handler: RequestListener, options: { dnsNames?: string[] } = {}): TestHttpsServer {
  const handle: TestHttpsServer = { origin: "", port: 0, ca: "", connections: 0 };
  let server: https.Server | undefined;
  let certDir: string | undefined;

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "reelay-tls-"));
    const keyPath = join(certDir, "key.pem");
    const certPath = join(certDir, "cert.pem");
    const names = ["IP:127.0.0.1", "DNS:localhost", ...(options.dnsNames ?? []).map((name) => `DNS:${name}`)];
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"],
        ...["-addext", `subjectAltName=${names.join(",")}`, "-days", "1", "-keyout", keyPath, "-out", certPath],
      ],
      { stdio: "ignore" },
    );
    handle.ca = readFileSync(certPath, "utf8");
    const listening = https.createServer({ key: readFileSync(keyPath), cert: handle.ca }, handler);
    server = listening;
    listening.on("connection", () => handle.connections++);
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
    handle.port = (listening.address() as AddressInfo).port;
    handle.origin = `https://127.0.0.1:${handle.port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  return handle;
}
