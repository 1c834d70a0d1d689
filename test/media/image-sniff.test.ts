import { describe, expect, it } from "vitest";
import { extensionFor, sniffImageType, sniffMediaType } from "../../src/media/image-sniff.js";
import { GIF, IMAGES, NOT_AN_IMAGE, PNG } from "./samples.js";

describe("sniffImageType / sniffMediaType / extensionFor", () => {
  it.each(IMAGES)("recognises $name from magic bytes", ({ bytes, mime }) => {
    expect(sniffImageType(bytes)).toBe(mime);
    expect(sniffMediaType(bytes)).toBe(mime);
  });

  it("accepts GIF87a as well as GIF89a", () => {
    expect(sniffImageType(Buffer.concat([Buffer.from("GIF87a"), GIF.subarray(6)]))).toBe("image/gif");
  });

  it("rejects non-images, truncated headers and RIFF files that are not WebP", () => {
    expect(sniffImageType(NOT_AN_IMAGE)).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
    expect(sniffImageType(PNG.subarray(0, 7))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.from("GIF90a......"))).toBeNull();
    expect(sniffImageType(Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeNull();
    expect(sniffImageType(Buffer.from("RIFF\x24\x00\x00\x00WEB"))).toBeNull();
  });

  it("recognises MP4, QuickTime and WebM containers but not HEIF/AVIF stills", () => {
    const ftyp = (brand: string) => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}\0\0\0\0`)]);
    expect(sniffMediaType(ftyp("isom"))).toBe("video/mp4");
    expect(sniffMediaType(ftyp("mp42"))).toBe("video/mp4");
    expect(sniffMediaType(ftyp("qt  "))).toBe("video/quicktime");
    expect(sniffMediaType(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81]))).toBe("video/webm");
    expect(sniffMediaType(ftyp("avif"))).toBeNull();
    expect(sniffMediaType(ftyp("heic"))).toBeNull();
    expect(sniffMediaType(Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]))).toBeNull(); // no brand
    expect(sniffImageType(ftyp("isom"))).toBeNull(); // videos are not reference images
  });

  it("maps each media type to its file extension", () => {
    expect(IMAGES.map((i) => extensionFor(i.mime))).toEqual(["png", "jpg", "webp", "gif"]);
    expect([extensionFor("video/mp4"), extensionFor("video/quicktime"), extensionFor("video/webm")]).toEqual(["mp4", "mov", "webm"]);
  });
});
