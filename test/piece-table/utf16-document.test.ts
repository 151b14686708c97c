/**
 * UTF-16 documents, case by case: the encoding open() takes (named, from a BOM, or bytes), edits
 * that would cut a code unit (EALIGN), the padded add buffer, a lone last byte, sessions that
 * recover under the rule they were made with (and old sessions, which mean bytes), and `gigapad
 * info` counting lines in units.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileInfo, open } from "../../piece-table/index.js";
import { decodeSlot, encodeSlot } from "../../piece-table/session-format.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

function utf16le(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}

async function openText(bytes: Buffer, options: { encoding?: string } = {}) {
  const dir = tempDir();
  const path = join(dir, "doc.txt");
  writeFileSync(path, bytes);
  const stateDir = join(dir, "state");
  return { doc: await open(path, { stateDir, ...options }), path, stateDir };
}

describe("the encoding a document opens in", () => {
  it("follows a UTF-16 BOM when none is named, and counts units: 上 (0A 4E) is no line feed", async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le("上\n東京\r\nx")]);
    const { doc } = await openText(le);
    expect(doc.encoding).toBe("utf-16le");
    expect(doc.lineCount()).toBe(3);
    expect(doc.lineStart(1)).toBe(6);
    expect(doc.getLine(1)).toBe("東京");
    expect(doc.getText()).toBe("上\n東京\r\nx");
    expect(doc.lineAt(5)).toBe(0);
    expect(doc.lineAt(6)).toBe(1);
    await doc.close();
    const be = Buffer.from(le).swap16();
    const { doc: bigEndian } = await openText(be);
    expect(bigEndian.encoding).toBe("utf-16be");
    expect(bigEndian.getLine(2)).toBe("x");
    await bigEndian.close();
  });

  it("keeps a named encoding's WHATWG name; anything but UTF-16 counts bytes; an unknown name is refused", async () => {
    const bytes = utf16le("上\n");
    const named = await openText(bytes, { encoding: "UTF-16" });
    expect(named.doc.encoding).toBe("utf-16le");
    expect(named.doc.lineCount()).toBe(2);
    await named.doc.close();
    const legacy = await openText(bytes, { encoding: "shift_jis" });
    expect(legacy.doc.encoding).toBe("shift_jis");
    // As bytes: 0A of 上 and 0A of the line feed.
    expect(legacy.doc.lineCount()).toBe(3);
    await legacy.doc.close();
    const plain = await openText(Buffer.from("a\nb"));
    expect(plain.doc.encoding).toBeNull();
    await plain.doc.close();
    await expect(openText(bytes, { encoding: "utf-17" })).rejects.toThrow(/Unknown encoding "utf-17"/);
  });
});

describe("edits of a UTF-16 document", () => {
  it("refuse to cut a code unit (EALIGN naming the offset), and change nothing", async () => {
    const { doc } = await openText(utf16le("ab\ncd"), { encoding: "utf-16le" });
    const before = doc.read();
    const refusals: [string, () => void, RegExp][] = [
      ["odd insert", () => doc.insert(3, "x"), /offset 3/],
      ["odd bytes", () => doc.insert(2, Buffer.from([0x41])), /1 bytes inserted at offset 2/],
      ["odd delete start", () => doc.delete(1, 4), /offset 1/],
      ["odd delete end", () => doc.delete(2, 5), /offset 5/],
      ["odd replace", () => doc.replace(2, 4, Buffer.from([1, 2, 3])), /3 bytes/],
      [
        "odd edit among several",
        () =>
          doc.applyEdits([
            { start: 0, end: 0, text: "x" },
            { start: 7, end: 8, text: "" },
          ]),
        /offset 7/,
      ],
      ["odd text range", () => doc.getText(1, 4), /offset 1/],
    ];
    for (const [what, edit, message] of refusals) {
      let error: (Error & { code?: string }) | undefined;
      try {
        edit();
      } catch (caught) {
        error = caught as Error & { code?: string };
      }
      expect(error?.code, what).toBe("EALIGN");
      expect(error?.message, what).toMatch(message);
    }
    expect(doc.read().equals(before)).toBe(true);
    await expect(doc.replaceAll("a", Buffer.from([0x41]))).rejects.toMatchObject({ code: "EALIGN" });
    // Rewriting into another encoding would leave bytes counted as units: refused.
    await expect(doc.rewrite((bytes) => bytes)).rejects.toMatchObject({ code: "EENCODING" });
    await doc.close();
  });

  it("keep a lone last byte, may edit it, and pad the add buffer so later text starts on a unit", async () => {
    const file = Buffer.concat([utf16le("a\nb"), Buffer.from([0x0a])]);
    const { doc, path } = await openText(file, { encoding: "utf-16le" });
    expect(doc.length).toBe(7);
    expect(doc.lineCount()).toBe(2);
    expect(doc.getText()).toBe("a\nb\ufffd");
    expect(doc.getLine(1)).toBe("b\ufffd");
    // An odd number of bytes may go at the end (replacing the lone byte)…
    doc.replace(6, 7, Buffer.from([0x0a, 0x00, 0x41]));
    expect(doc.lineCount()).toBe(3);
    // …after which the add buffer is odd: the next insert is padded to a unit boundary.
    doc.insert(0, "上\n");
    expect(doc.lineCount()).toBe(4);
    expect(doc.getLine(0)).toBe("上");
    const starts: number[] = [];
    for await (const match of doc.find("上")) starts.push(match.start);
    expect(starts).toEqual([0]);
    await doc.save();
    expect(readFileSync(path).equals(Buffer.concat([utf16le("上\na\nb\n"), Buffer.from([0x41])]))).toBe(true);
    await doc.close();
  });
});

describe("sessions of a UTF-16 document", () => {
  it("recover its edits under the same rule, whatever the reopening asks", async () => {
    const { doc, path, stateDir } = await openText(utf16le("one\ntwo\n"), { encoding: "utf-16le" });
    doc.insert(16, "上上\n");
    await doc.close();
    // Reopened without an encoding (no BOM): the session says UTF-16LE.
    const again = await open(path, { stateDir });
    expect(again.recovered).not.toBeNull();
    expect(again.encoding).toBe("utf-16le");
    expect(again.lineCount()).toBe(4);
    expect(again.getLine(2)).toBe("上上");
    await again.close();
    // Asked for bytes: the session's edits are units, so its encoding wins.
    const asBytes = await open(path, { stateDir, encoding: "utf-8" });
    expect(asBytes.encoding).toBe("utf-16le");
    expect(asBytes.getLine(2)).toBe("上上");
    await asBytes.discard();
  });

  it("keep a byte-based encoding the edits were typed in when none is asked for, and give way to one asked for", async () => {
    const koi8 = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x0a]); // "Привет\n" in KOI8-R
    const { doc, path, stateDir } = await openText(koi8, { encoding: "koi8-r" });
    expect(doc.encoding).toBe("koi8-r");
    doc.insert(0, Buffer.from([0xe4, 0xc1, 0x20])); // "Да "
    await doc.close();
    const again = await open(path, { stateDir });
    expect(again.recovered).not.toBeNull();
    expect(again.encoding).toBe("koi8-r");
    await again.close();
    // The same rule (bytes): the one asked for wins, the edits replay alike.
    const asked = await open(path, { stateDir, encoding: "windows-1251" });
    expect(asked.encoding).toBe("windows-1251");
    expect(asked.read(0, 3).equals(Buffer.from([0xe4, 0xc1, 0x20]))).toBe(true);
    await asked.discard();
  });

  it("store the encoding with each root slot, and read a slot without one as bytes", () => {
    const slot = {
      txn: 3,
      recordOffset: 0,
      recordLength: 64,
      recordChecksum: 1,
      addLength: 10,
      identity: { dev: 1n, ino: 2n, size: 3, mtimeNs: 4n, sample: 5 },
      committedAt: 6,
      edits: 7,
      documentLength: 8,
      metaGeneration: 0,
      appendFrom: -1,
      copyFrom: null,
    };
    expect(decodeSlot(encodeSlot({ ...slot, encoding: "utf-16be" }))?.encoding).toBe("utf-16be");
    // Written before encodings were kept: none, which means bytes.
    expect(decodeSlot(encodeSlot(slot))?.encoding).toBeUndefined();
    // A damaged encoding block makes the slot not verify (as a damaged copy announcement does).
    const damaged = encodeSlot({ ...slot, encoding: "utf-16le" });
    damaged[256 + 22]! ^= 1;
    expect(decodeSlot(damaged)).toBeNull();
  });
});

describe("gigapad info on UTF-16", () => {
  it("counts lines in units, with or without a BOM (as iconv -f UTF-16LE | wc -l, plus one)", async () => {
    const dir = tempDir();
    // Mostly ASCII without a BOM: told by its NULs. 上 and ਊ (0A 0A) hold 0x0A bytes.
    const text = `${"line 上 ਊ\r\n".repeat(500)}last`;
    for (const [name, bytes, encoding] of [
      ["le.txt", utf16le(text), "utf-16le"],
      ["be.txt", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16le(text).swap16()]), "utf-16be"],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const info = await fileInfo(path);
      expect(info.encoding).toBe(encoding);
      expect(info.lines).toBe(501);
      expect(info.eol).toBe("crlf");
    }
  });
});
