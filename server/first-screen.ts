/**
 * The first screen of the document, written into the page's HTML by `gigapad serve`: the browser
 * paints the file's first lines as soon as it has parsed the page and its stylesheet, while the
 * editor's bundle (CodeMirror and the rest) is still downloading and starting. The page's script
 * removes it in the frame the editor shows the same lines.
 *
 * It looks like the editor's first frame: the same gutter (width from the same widest number),
 * the same line boxes, the active first line, invalid bytes and control characters labelled as
 * the editor labels them (presentation/special-chars; renderer/app.css holds the styles). Nothing in it is interactive.
 */
import { estimatedLineCount } from "../presentation/line-numbers.js";
import { FIRST_SCREEN_PLACEHOLDER } from "../presentation/page-policy.js";
import { specialCharLabel } from "../presentation/special-chars.js";
import { type DocumentInfo, type DocumentWindow, isEscapedByte } from "../protocol/index.js";

/** Lines drawn: more than the tallest screen shows at the editor's 19 px a line. */
export const FIRST_SCREEN_LINES = 80;
/** UTF-16 units of a line drawn: wider than any screen at the editor's 13 px monospace. */
export const FIRST_SCREEN_COLUMNS = 1000;

/**
 * What CodeMirror's highlightSpecialChars replaces (its default set), besides escaped bytes. By
 * code point ("u"): the second half of a surrogate pair (😀, 💩) is not an escaped byte.
 */
const SPECIAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028\u2029\u202d\u202e\u2066\u2067\u2069\ufeff\ufff9-\ufffc\udc80-\udcff]/gu;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

/** One line's text as the editor draws it: special characters as marked placeholders. */
function lineHtml(text: string): string {
  let clipped = text.length > FIRST_SCREEN_COLUMNS ? text.slice(0, FIRST_SCREEN_COLUMNS) : text;
  // Never end on half of a surrogate pair: it would draw as a replacement character.
  const last = clipped.charCodeAt(clipped.length - 1);
  if (clipped.length < text.length && last >= 0xd800 && last <= 0xdbff) clipped = clipped.slice(0, -1);
  let html = "";
  let from = 0;
  for (const match of clipped.matchAll(SPECIAL)) {
    const code = match[0].charCodeAt(0);
    html += escapeHtml(clipped.slice(from, match.index));
    html += `<span class="${isEscapedByte(code) ? "cm-gp-byte" : "cm-specialChar"}">${specialCharLabel(code)}</span>`;
    from = match.index + 1;
  }
  return html + escapeHtml(clipped.slice(from));
}

/**
 * The first screen's HTML for a window cut at the document's start (the editor's quick first
 * window), or "" when `window` does not start there.
 */
export function firstScreenHtml(
  window: DocumentWindow,
  info: Pick<DocumentInfo, "length" | "lineCount">,
): string {
  if (!window.atStart || window.firstLine !== 0) return "";
  const lines = window.lines.slice(0, FIRST_SCREEN_LINES);
  const numbers: string[] = [];
  const texts: string[] = [];
  let line = 0;
  lines.forEach((text, i) => {
    // A long line comes in segments: the later ones are marked, as the editor marks them.
    const continuation = i > 0 && window.breaks[i - 1] === 0;
    if (!continuation) line++;
    const active = i === 0 ? " gp-fs-active" : "";
    numbers.push(`<div class="gp-fs-number${active}">${continuation ? "⋯" : line}</div>`);
    texts.push(`<div class="gp-fs-line${active}">${lineHtml(text) || "<br>"}</div>`);
  });
  // Sized as the editor sizes it: for the last line's number, counted or estimated.
  const widest = String(info.lineCount ?? estimatedLineCount(info.length, window));
  return (
    `<div class="gp-first-screen" aria-hidden="true">` +
    `<div class="gp-fs-gutter"><div class="gp-fs-number gp-fs-spacer">${widest}</div>${numbers.join("")}</div>` +
    `<div class="gp-fs-content">${texts.join("")}</div></div>`
  );
}

/** The page with its first screen in place of FIRST_SCREEN_PLACEHOLDER. */
export function withFirstScreen(
  page: string,
  first: { window: DocumentWindow; info: DocumentInfo } | null,
): string {
  // A function, not a string: "$'" and the like in the file's text are text, not patterns.
  const html = first ? firstScreenHtml(first.window, first.info) : "";
  return page.replace(FIRST_SCREEN_PLACEHOLDER, () => html);
}
