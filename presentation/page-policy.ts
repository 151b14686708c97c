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

/** The kinds of file the editor's page is made of, by extension, with their content types. */
export const PAGE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json; charset=utf-8",
};

/**
 * The UI file a page URL's (decoded) path names, relative to the UI folder, or null: no dot
 * segments, backslashes or NULs (no way out of the folder), only the page's kinds of file.
 */
export function pageAssetName(pathname: string): string | null {
  const name = pathname === "/" ? "index.html" : pathname.replace(/^\/+/, "");
  if (/[\\\0]/.test(name) || name.split("/").some((part) => part === "." || part === "..")) return null;
  return pageContentType(name) === undefined ? null : name;
}

/** The content type of a UI file (see PAGE_CONTENT_TYPES). */
export function pageContentType(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : PAGE_CONTENT_TYPES[name.slice(dot)];
}
