import { beforeEach, describe, expect, it, vi } from "vitest";
import { readReferenceImage } from "../../src/media/reference-image.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { useImageHost } from "./image-host.js";
import {
  dataUrl,
  expectBadInput,
  expectSameBytes,
  expectTooLarge,
  GIF,
  IMAGES,
  JPEG,
  LIMIT,
  NOT_AN_IMAGE,
  NOT_IMAGE_MESSAGE,
  PNG,
  sha256,
} from "./samples.js";

// The code under test resolves through node:dns/promises: the tests decide what a hostname resolves to.
vi.mock("node:dns/promises", async (importOriginal) =>
  (await import("../helpers/fake-dns.js")).withFakeLookup(await importOriginal<typeof import("node:dns/promises")>()),
);

const host = useImageHost();
beforeEach(() => fakeDns.reset());

describe("readReferenceImage", () => {
  const forms = [
    ["File upload", (bytes: Buffer) => ({ file: new File([new Uint8Array(bytes)], "x.png", { type: "text/plain" }) })],
    ["bare base64", (bytes: Buffer) => ({ url: bytes.toString("base64") })],
    ["data: URL", (bytes: Buffer) => ({ url: dataUrl("image/png", bytes) })], // declared type is not trusted either
    ["https URL", (bytes: Buffer) => ({ url: `${host.origin}/img/${IMAGES.find((i) => i.bytes === bytes)!.name}` })],
  ] as const;

  for (const image of IMAGES) {
    it.each(forms)(`returns the same ${image.name} bytes from a %s, typed by magic bytes`, async (_, makeInput) => {
      const result = await readReferenceImage(makeInput(image.bytes), { maxBytes: LIMIT, fetch: host.localFetch() });
      expect(result).not.toBeNull();
      expectSameBytes(result!.bytes, image.bytes);
      expect(result!.mimeType).toBe(image.mime);
      expect(result!.filename).toBe(image.filename);
      expect(result!.sha256).toBe(sha256(image.bytes));
    });
  }

  it("returns null when neither a file nor a URL is given", async () => {
    expect(await readReferenceImage({}, { maxBytes: LIMIT })).toBeNull();
    expect(await readReferenceImage({ file: null, url: null }, { maxBytes: LIMIT })).toBeNull();
  });

  it("refuses a file and a URL together", async () => {
    const input = { file: new File([PNG], "a.png"), url: PNG.toString("base64") };
    await expectBadInput(readReferenceImage(input, { maxBytes: LIMIT }), /not both/);
  });

  describe("base64 and data: URLs", () => {
    it("accepts base64 wrapped with whitespace/newlines and the base64url alphabet without padding", async () => {
      const bytes = IMAGES[0].bytes;
      const wrapped = bytes.toString("base64").replace(/.{76}/g, "$&\r\n");
      const b64url = bytes.toString("base64url");
      expect(b64url).toMatch(/[-_]/);
      expect(b64url).not.toMatch(/=/);
      for (const url of [wrapped, `  ${wrapped}\n`, b64url, `data:image/png;base64,${wrapped}`]) {
        const result = await readReferenceImage({ url }, { maxBytes: LIMIT });
        expectSameBytes(result!.bytes, bytes);
      }
    });

    it("accepts data: URL variants: upper case, extra parameters, percent-encoded padding", async () => {
      const b64 = JPEG.toString("base64");
      expect(b64).toMatch(/=$/);
      for (const url of [
        `DATA:IMAGE/JPEG;BASE64,${b64}`,
        `data:image/jpeg;name=first.jpg;base64,${b64}`,
        `data:image/jpeg;base64,${b64.replace(/=/g, "%3D")}`,
      ]) {
        const result = await readReferenceImage({ url }, { maxBytes: LIMIT });
        expectSameBytes(result!.bytes, JPEG);
        expect(result!.mimeType).toBe("image/jpeg");
      }
    });

    it("uses the sniffed type, not the data: URL's declared one", async () => {
      const result = await readReferenceImage({ url: dataUrl("image/jpeg", GIF) }, { maxBytes: LIMIT });
      expect(result!.mimeType).toBe("image/gif");
      expect(result!.filename).toBe("reference.gif");
    });

    it.each([
      ["a character outside the alphabet", "iVBORw0KGgo!AAAA"],
      ["punctuation between words", "not base64; really"],
      ["padding in the middle", "iVBO=w0KGgoAAAA"],
      ["three padding characters", "iVBORw0KGg==="],
      ["padding on a length that is not a multiple of 4", "iVBORw0=="],
      ["a dangling single character", "iVBORw0KG"],
      ["only padding", "===="],
    ])("refuses garbage base64: %s", async (_, url) => {
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT }), /not valid base64/);
      await expectBadInput(readReferenceImage({ url: `data:image/png;base64,${url}` }, { maxBytes: LIMIT }), /not valid base64/);
    });

    it("refuses base64 and data: URLs that decode to nothing, and an empty string", async () => {
      await expectBadInput(readReferenceImage({ url: "data:image/png;base64," }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: "data:image/png;base64,\n" }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: "" }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: " \n " }, { maxBytes: LIMIT }), /empty/);
    });

    it.each([
      ["not base64-encoded", `data:image/png,${PNG.toString("latin1")}`, /must be base64/],
      ["without a comma", "data:image/png;base64", /no comma/],
      ["declaring text/plain", dataUrl("text/plain", PNG), /must declare an image type/],
      ["declaring no type", `data:;base64,${PNG.toString("base64")}`, /must declare an image type/],
      ["declaring a video type", dataUrl("video/mp4", PNG), /must declare an image type/],
    ])("refuses a data: URL %s", async (_, url, message) => {
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT }), message);
    });
  });

  describe("size limits → PAYLOAD_TOO_LARGE", () => {
    it("checks file.size before reading the file", async () => {
      const file = new File([Buffer.alloc(LIMIT + 1)], "big.png", { type: "image/png" });
      const reads = [vi.spyOn(file, "arrayBuffer"), vi.spyOn(file, "stream"), vi.spyOn(file, "text")];
      const err = await expectTooLarge(readReferenceImage({ file }, { maxBytes: LIMIT }));
      expect(err.extensions.maxBytes).toBe(LIMIT);
      for (const read of reads) expect(read).not.toHaveBeenCalled();
    });

    it("accepts a file of exactly maxBytes", async () => {
      const bytes = Buffer.concat([PNG, Buffer.alloc(LIMIT - PNG.length, 3)]);
      const result = await readReferenceImage({ file: new File([bytes], "p.png") }, { maxBytes: LIMIT });
      expectSameBytes(result!.bytes, bytes);
    });

    // Lengths covering no padding, "==" and "=" so the encoded-length estimate is exact.
    it.each([PNG.length, PNG.length + 1, PNG.length + 2])(
      "base64 / base64url / data: URL of %i bytes: accepted at exactly maxBytes, refused at one byte less",
      async (size) => {
        const bytes = Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 9)]);
        const inputs = [bytes.toString("base64"), bytes.toString("base64url"), dataUrl("image/png", bytes)];
        for (const url of inputs) {
          const result = await readReferenceImage({ url }, { maxBytes: size });
          expect(result!.bytes.length).toBe(size);
          await expectTooLarge(readReferenceImage({ url }, { maxBytes: size - 1 }));
        }
      },
    );

    it("refuses oversized base64 and data: URLs before decoding them", async () => {
      const big = Buffer.concat([PNG, Buffer.alloc(LIMIT, 1)]).toString("base64");
      const from = vi.spyOn(Buffer, "from");
      try {
        await expectTooLarge(readReferenceImage({ url: big }, { maxBytes: LIMIT }));
        await expectTooLarge(readReferenceImage({ url: `data:image/png;base64,${big}` }, { maxBytes: LIMIT }));
        const decodes = (from.mock.calls as unknown[][]).filter(([, encoding]) => encoding === "base64" || encoding === "base64url");
        expect(decodes).toEqual([]);
      } finally {
        from.mockRestore();
      }
    });

    it("refuses an oversized fetched body (declared and streamed)", async () => {
      await expectTooLarge(
        readReferenceImage({ url: `${host.origin}/sized?n=${LIMIT + 1}` }, { maxBytes: LIMIT, fetch: host.localFetch() }),
      );
      await expectTooLarge(readReferenceImage({ url: `${host.origin}/endless` }, { maxBytes: LIMIT, fetch: host.localFetch() }));
    });
  });

  describe("content must be an image by magic bytes", () => {
    it.each([
      ["File (claiming image/png)", () => ({ file: new File([NOT_AN_IMAGE], "x.png", { type: "image/png" }) })],
      ["bare base64", () => ({ url: NOT_AN_IMAGE.toString("base64") })],
      ["data: URL (claiming image/png)", () => ({ url: dataUrl("image/png", NOT_AN_IMAGE) })],
      ["https URL (served as image/png)", () => ({ url: `${host.origin}/text` })],
      ["MP4 video", () => ({ file: new File([Buffer.from("\0\0\0\x18ftypisom\0\0\0\0")], "v.png") })],
    ])("refuses a non-image %s", async (_, input) => {
      await expectBadInput(readReferenceImage(input(), { maxBytes: LIMIT, fetch: host.localFetch() }), NOT_IMAGE_MESSAGE);
    });

    it("refuses an empty file", async () => {
      await expectBadInput(readReferenceImage({ file: new File([], "empty.png") }, { maxBytes: LIMIT }), /empty/);
    });
  });

  describe("URL safety: refused before any connection", () => {
    it.each([
      () => "file:///etc/passwd",
      () => `http://127.0.0.1:${host.port}/img/png`,
      () => "http://example.com/a.png",
      () => `ftp://127.0.0.1:${host.port}/a.png`,
      () => "javascript:alert(1)",
      () => "gopher://127.0.0.1:70/_",
    ])("refuses the non-https URL %#", async (url) => {
      await expectBadInput(readReferenceImage({ url: url() }, { maxBytes: LIMIT, fetch: { ca: host.ca } }), /must be https:\/\//);
      expect(host.connections).toBe(0);
      expect(fakeDns.queries).toEqual([]);
    });

    // The test CA is trusted, so any of these would succeed if the address check were missing.
    it.each([
      () => "https://127.0.0.1/x.png",
      () => `https://127.0.0.1:${host.port}/img/png`,
      () => "https://localhost/x.png",
      () => `https://localhost:${host.port}/img/png`,
      () => `https://[::1]:${host.port}/img/png`,
      () => `https://[::ffff:127.0.0.1]:${host.port}/img/png`,
      () => `https://0.0.0.0:${host.port}/img/png`,
      () => `https://2130706433:${host.port}/img/png`,
      () => "https://169.254.169.254/latest/meta-data",
      () => "https://[fd00:ec2::254]/latest/meta-data",
      () => "https://10.0.0.1/",
      () => "https://192.168.0.1/x.png",
      () => `https://rebind.test:${host.port}/img/png`, // a hostname that resolves to loopback
    ])("refuses the internal target %#", async (url) => {
      fakeDns.records.set("rebind.test", ["127.0.0.1"]);
      await expectBadInput(
        readReferenceImage({ url: url() }, { maxBytes: LIMIT, fetch: { ca: host.ca } }),
        /not a public internet address/,
      );
      expect(host.connections).toBe(0);
      expect(host.requests).toEqual([]);
      expect(fakeDns.queries.filter((q) => q !== "rebind.test")).toEqual([]);
    });

    it("refuses URLs with credentials", async () => {
      const url = `https://user:pw@127.0.0.1:${host.port}/img/png`;
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT, fetch: host.localFetch() }), /credentials/);
      expect(host.connections).toBe(0);
    });

    it("passes fetch errors through as bad input (404)", async () => {
      await expectBadInput(
        readReferenceImage({ url: `${host.origin}/missing` }, { maxBytes: LIMIT, fetch: host.localFetch() }),
        /HTTP 404/,
      );
    });
  });
});
