import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { dispositionFor, safeMediaType } from "../../src/media/media-type.js";
import { createLocalStorage } from "../../src/storage/local.js";

describe("the media type allow-list", () => {
  it.each([
    ["video/mp4", "video/mp4"],
    ["video/webm", "video/webm"],
    ["VIDEO/QuickTime", "video/quicktime"],
    ["image/png; charset=binary", "image/png"],
    ["image/jpeg", "image/jpeg"],
    ["image/webp", "image/webp"],
    ["image/gif", "image/gif"],
  ])("keeps %s as %s, shown inline", (declared, type) => {
    expect(safeMediaType(declared)).toBe(type);
    expect(dispositionFor(type)).toBeNull();
  });

  it.each(["image/svg+xml", "text/html", "application/xhtml+xml", "text/javascript", "application/pdf", "video/x-matroska", "", null])(
    "turns %s into application/octet-stream, served as an attachment",
    (declared) => {
      expect(safeMediaType(declared)).toBe("application/octet-stream");
      expect(dispositionFor(safeMediaType(declared))).toBe("attachment");
    },
  );

  it("local storage keeps only a safe type, whatever it is asked to store", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "reelay-types-"));
    try {
      const storage = createLocalStorage(root);
      const stored = await storage.put("media/t/video.bin", Readable.from([Buffer.from("<html>")]), { contentType: "text/html" });
      expect(stored.contentType).toBe("application/octet-stream");
      expect(JSON.parse(await readFile(path.join(root, "media/t/video.bin.meta.json"), "utf8")).contentType).toBe(
        "application/octet-stream",
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
