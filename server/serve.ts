/**
 * `gigapad serve`: the editor UI for any browser. HTTP serves the renderer's files; a WebSocket
 * carries the protocol between the page and the engine host, one JSON message per frame.
 *
 * Access is token-guarded, as Jupyter's is: the printed URL carries a random token; the first
 * request with it gets the token as an HttpOnly, SameSite=Strict cookie and is redirected to a
 * clean URL. Every later request needs the cookie; without it HTTP answers 401 (no token) or 403
 * (a wrong one), and a WebSocket upgrade is refused. Upgrades must also come from the page's own
 * origin, so another site open in the same browser cannot drive the editor.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";
import type { Channel } from "../host/channel.js";
import type { HostedDocument } from "../host/hosted-document.js";
import {
  type DocumentInfo,
  type DocumentWindow,
  editorPagePolicy,
  type HostMessage,
  NONCE_PLACEHOLDER,
  pageAssetName,
  pageContentType,
} from "../protocol/index.js";
import { withFirstScreen } from "./first-screen.js";

export interface ServeOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** The access token (default: 32 random bytes, hex). */
  token?: string;
  /** Folder of the built renderer (default: dist/renderer beside this module). */
  assets?: string;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  /** The URL without the token (what the browser shows once the cookie is set). */
  origin: string;
  token: string;
  /** Stops accepting, closes every connection. The document stays open (its owner closes it). */
  close(): Promise<void>;
}

const COOKIE = "gigapad_token";
/** Largest WebSocket message accepted: an edit may carry a paste of tens of MB. */
const MAX_MESSAGE_BYTES = 300 * 1024 * 1024;

/** Whether `host` is a loopback address (serving elsewhere exposes the file to the network). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function defaultAssets(): string {
  return fileURLToPath(new URL("../renderer/", import.meta.url));
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return undefined;
}

/** A WebSocket as a Channel: JSON text frames both ways. */
function webSocketChannel(socket: WebSocket): Channel {
  return {
    send(message: HostMessage) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage(handler) {
      socket.on("message", (data, isBinary) => {
        if (isBinary) return handler(null);
        let message: unknown;
        try {
          message = JSON.parse(data.toString());
        } catch {
          message = null;
        }
        handler(message);
      });
    },
    onClose(handler) {
      socket.on("close", handler);
    },
  };
}

/** Starts serving `document`; resolves once listening. */
export async function serve(document: HostedDocument, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? randomBytes(32).toString("hex");
  const assets = options.assets ?? defaultAssets();
  let index: string;
  try {
    index = readFileSync(join(assets, "index.html"), "utf8");
  } catch {
    throw new Error(`the editor UI is not built (no ${join(assets, "index.html")}); run npm run build`);
  }

  // The UI's files are read once: every page load would otherwise read the 300 KB bundle again.
  const assetCache = new Map<string, Buffer>();
  const cacheAsset = (name: string): Buffer => {
    const body = readFileSync(join(assets, name));
    assetCache.set(name, body);
    return body;
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const server: Server = createServer((request, response) => handleHttp(request, response));
  let origin = "";

  /** The document's first lines for the page to paint at once; none if they cannot be read now. */
  function firstWindow(): { window: DocumentWindow; info: DocumentInfo } | null {
    try {
      return { window: document.firstWindow(), info: document.info() };
    } catch {
      return null; // the page's editor asks again and reports what went wrong
    }
  }

  function refuse(response: ServerResponse, status: 401 | 403 | 404 | 405, text: string): void {
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    response.end(`${text}\n`);
  }

  function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://gigapad.invalid");
    if (request.method !== "GET" && request.method !== "HEAD") {
      refuse(response, 405, "Gigapad serves pages only.");
      return;
    }
    const queryToken = url.searchParams.get("token") ?? undefined;
    if (queryToken !== undefined) {
      if (!sameToken(queryToken, token)) {
        refuse(response, 403, "Wrong token: use the URL gigapad serve printed.");
        return;
      }
      // Trade the token in the URL for a cookie, and show a clean URL.
      response.writeHead(302, {
        location: url.pathname,
        "set-cookie": `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        "cache-control": "no-store",
      });
      response.end();
      return;
    }
    const cookie = cookieToken(request);
    if (cookie === undefined) {
      refuse(response, 401, "Open the URL gigapad serve printed (it carries the token).");
      return;
    }
    if (!sameToken(cookie, token)) {
      refuse(response, 403, "Wrong token: use the URL gigapad serve printed.");
      return;
    }

    let name: string | null;
    try {
      name = pageAssetName(decodeURIComponent(url.pathname));
    } catch {
      name = null; // a malformed escape
    }
    if (name === null) {
      refuse(response, 404, "Not found.");
      return;
    }
    let body: Buffer;
    const nonce = randomBytes(16).toString("base64");
    try {
      body =
        name === "index.html"
          ? Buffer.from(withFirstScreen(index.replaceAll(NONCE_PLACEHOLDER, nonce), firstWindow()))
          : (assetCache.get(name) ?? cacheAsset(name));
    } catch {
      refuse(response, 404, "Not found.");
      return;
    }
    response.writeHead(200, {
      "content-type": pageContentType(name)!,
      "content-security-policy": editorPagePolicy(nonce, "self"),
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : body);
  }

  server.on("upgrade", (request, socket, head) => {
    const url = new URL(request.url ?? "/", "http://gigapad.invalid");
    // Same origin as the page: the Origin a browser sends must name the host it connected to.
    const sameOrigin =
      request.headers.host !== undefined && request.headers.origin === `http://${request.headers.host}`;
    const allowed = url.pathname === "/ws" && sameToken(cookieToken(request), token) && sameOrigin;
    if (!allowed) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => document.attach(webSocketChannel(ws)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost =
    host === "0.0.0.0" || host === "::"
      ? hostname()
      : address.family === "IPv6"
        ? `[${address.address}]`
        : host;
  origin = `http://${shownHost}:${address.port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
