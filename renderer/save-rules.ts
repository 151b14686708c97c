/**
 * What the save flow decides, apart from the page: what a refused save asks (replace another
 * file, overwrite one another program changed) or says, and the name suggested for the filter
 * view's matching lines.
 */

/** What a refused save does: asks to replace or overwrite (then saves with force), or says why. */
export type SaveRefusal = { ask: "replace" | "overwrite"; text: string } | { tell: string };

/** The answer to a save refused with `code` and `text`, for a save to `path` (undefined: Save). */
export function saveRefusal(code: string, text: string, path: string | undefined): SaveRefusal {
  if (code === "EEXIST" && path !== undefined) {
    // Save As onto another existing file: replaced only once the user says so.
    const name = path.split(/[\\/]/).pop() || path;
    return { ask: "replace", text: `Replace ${name}? It already exists.` };
  }
  if (code === "EFILECHANGED") return { ask: "overwrite", text: `Not saved: ${text}` };
  if (code === "ENOSPC") {
    return { tell: `Not saved: the disk is full (${text}). The file is untouched and your edits are safe.` };
  }
  return { tell: `Not saved: ${text}. The file is untouched and your edits are safe.` };
}

/** The name suggested for the filter view's lines: "app.log" → "app.matching.log". */
export function matchingLinesName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}.matching${name.slice(dot)}` : `${name}.matching`;
}
