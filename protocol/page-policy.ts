/**
 * What the editor page may load, wherever it is served from (`gigapad serve`, the desktop app's
 * own scheme): its own scripts and styles, and CodeMirror's style element, which carries a
 * per-page nonce. The page's HTML holds NONCE_PLACEHOLDER where the server puts that nonce.
 */

/** Stands in index.html for the per-response CSP nonce. */
export const NONCE_PLACEHOLDER = "__GIGAPAD_NONCE__";

/**
 * Stands in index.html (inside the editor's element) where `gigapad serve` writes the document's
 * first screen, so the first lines paint before the editor's script has started.
 */
export const FIRST_SCREEN_PLACEHOLDER = "<!--gigapad:first-screen-->";

/**
 * The Content-Security-Policy header of an editor page. `connect` is what the page may connect
 * to: its own origin (the WebSocket of `gigapad serve`) or nothing (the desktop app's port).
 */
export function editorPagePolicy(nonce: string, connect: "self" | "none"): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src '${connect}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}
