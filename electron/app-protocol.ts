/**
 * Serves the editor page to the desktop app's windows from the built renderer folder, under the
 * app's own scheme (gigapad://app/...): fixed files only, a fresh CSP nonce for each page, and
 * nothing outside the folder.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { NONCE_PLACEHOLDER, pageAssetName, pageContentType } from "../presentation/page-policy.js";
import { contentSecurityPolicy, isAppUrl } from "./web-security.js";

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** The response to a request for `url` from the app's scheme, reading from `assets`. */
export async function appResponse(url: string, assets: string): Promise<AppResponse> {
  const notFound = { status: 404, headers: { "content-type": "text/plain" }, body: "Not found" };
  if (!isAppUrl(url)) return notFound;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return notFound;
  }
  const name = pageAssetName(pathname);
  if (name === null) return notFound;
  let body: Buffer | string;
  try {
    body = await readFile(join(assets, name));
  } catch {
    return notFound;
  }
  const headers: Record<string, string> = {
    "content-type": pageContentType(name)!,
    "x-content-type-options": "nosniff",
  };
  if (name === "index.html") {
    const nonce = randomBytes(16).toString("base64");
    body = body.toString("utf8").replaceAll(NONCE_PLACEHOLDER, nonce);
    headers["content-security-policy"] = contentSecurityPolicy(nonce);
  }
  return { status: 200, headers, body };
}
