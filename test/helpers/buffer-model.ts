/** The plain model the engine is checked against: a Buffer and its lines, computed the slow way. */

/** Offsets where each line starts (line 0 at 0; after every LF). */
export function lineStarts(bytes: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  return starts;
}

/** Text of each line without its LF or CRLF terminator, decoded as UTF-8. */
export function linesOf(bytes: Uint8Array): string[] {
  const starts = lineStarts(bytes);
  return starts.map((start, line) => {
    let end = line + 1 < starts.length ? starts[line + 1]! - 1 : bytes.length;
    if (line + 1 < starts.length && end > start && bytes[end - 1] === 13) end--;
    return new TextDecoder("utf-8", { ignoreBOM: start !== 0 }).decode(bytes.subarray(start, end));
  });
}

export function applyInsert(model: Buffer, offset: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([model.subarray(0, offset), bytes, model.subarray(offset)]);
}

export function applyDelete(model: Buffer, start: number, end: number): Buffer {
  return Buffer.concat([model.subarray(0, start), model.subarray(end)]);
}
