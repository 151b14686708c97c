/**
 * `gigapad serve`: the editor UI for any browser. HTTP serves the renderer's files; a WebSocket
 * carries the protocol between the page and the engine host, one JSON message per frame.
 *
 * Access is token-guarded, as Jupyter's is: the printed URL carries a random token, accepted once:
 * the first request with it gets a cookie of this server's own (its name carries the port, its
 * value is another random secret, so two servers on one machine keep their cookies apart) and is
 * redirected to `/`. Every later request needs the cookie; without it HTTP answers 401 (no
 * token) or 403 (a wrong one), and a WebSocket upgrade is refused. Upgrades must also come from
 * the page's own origin, so another site open in the same browser cannot drive the editor, and
 * every request must name this server in its Host header (a foreign name means DNS rebinding).
 *
 * Clients are not trusted to behave: a socket that breaks the WebSocket protocol is closed (with
 * the code the protocol asks for) and logged once; messages are capped at MAX_MESSAGE_BYTES (the
 * page sends big edits in pieces, see protocol/edit-pieces.ts); connections are capped; and a
 * request reaches the host only when there is room for it (see webSocketChannel: big edits and
 * big copies share one budget, a client that does not read its replies gets no more work done),
 * its socket paused meanwhile (TCP pushes back), so memory stays bounded however many big
 * requests arrive at once. Save As from a page writes only inside the document's folder tree or
 * `root` (see host/save-target.ts).
 *
 * Pages may open the tree's other files (Ctrl+O): `/files?dir=D` lists a folder, `/files/open?file=F`
 * opens a file, and `/?file=F` and `/ws?file=F` are its page and socket (see served-documents.ts;
 * `/` is FILE). The same tree and the same confinement as Save As (see folder.ts); the same
 * admission rules for every document.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { type AddressInfo, isIPv4, isIPv6, type Socket } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";
import type { Channel } from "../host/channel.js";
import { fileKey } from "../host/file-key.js";
import { toProtocolError } from "../host/host-error.js";
import type { HostedDocument, HostedDocumentOptions } from "../host/hosted-document.js";
import {
  editorPagePolicy,
  NONCE_PLACEHOLDER,
  pageAssetName,
  pageContentType,
} from "../presentation/page-policy.js";
import {
  type DocumentInfo,
  type DocumentWindow,
  type HostMessage,
  MAX_MESSAGE_BYTES,
} from "../protocol/index.js";
import { withFirstScreen } from "./first-screen.js";
import { confinedFile, listFolder, relativeToRoot } from "./folder.js";
import { ServedDocuments } from "./served-documents.js";

export interface ServeOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** The access token (default: 32 random bytes, hex). */
  token?: string;
  /** Folder of the built renderer (default: dist/renderer beside this module). */
  assets?: string;
  /** The folder tree a page's Save As may write (default: the document's folder). */
  root?: string;
  /** Where one-line notes about misbehaving clients go (default: stderr). */
  log?: (line: string) => void;
  /** Most WebSocket connections at once (default MAX_SOCKETS). */
  maxSockets?: number;
  /**
   * How the tree's other files are opened (default: as `document` was, read-only included, but
   * not following).
   */
  documentOptions?: HostedDocumentOptions;
  /** A file opened from the tree closes once no socket has used it for this long (ms). */
  idleCloseMs?: number;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  /** The URL without the token (what the browser shows once the cookie is set). */
  origin: string;
  token: string;
  /** The name of this server's cookie (it carries the port). */
  cookieName: string;
  /** The address bound, as the system reports it (e.g. 127.0.0.1, ::, 0.0.0.0). */
  address: string;
  port: number;
  /** "loopback" when only this machine can connect, else "network". */
  exposure: "loopback" | "network";
  /** The real path of the folder tree pages may open files from and Save As to. */
  root: string;
  /** Paths of the files pages opened from the tree, open now (not the served document). */
  openFiles(): string[];
  /**
   * Stops accepting, closes every connection and the files pages opened (committing). The
   * document stays open (its owner closes it).
   */
  close(): Promise<void>;
}

/** WebSocket connections at once; more are refused with 503. */
export const MAX_SOCKETS = 16;
/** HTTP connections at once (pages, assets, upgrades); the system queues or drops the rest. */
const MAX_HTTP_CONNECTIONS = 64;
/** A request weighing more than this (see weightOf) counts against HEAVY_BUDGET_BYTES. */
const HEAVY_MESSAGE_BYTES = 64 * 1024;
/** Weight of the heavy requests in progress over all sockets; more wait (one bigger runs alone). */
export const HEAVY_BUDGET_BYTES = 24 * 1024 * 1024;
/** Bytes of small messages one socket may have waiting for replies before it pauses. */
const SOCKET_BUDGET_BYTES = 1024 * 1024;
/** Bytes waiting to be written to one client beyond which its further requests wait. */
const SOCKET_OUTBOUND_BYTES = 8 * 1024 * 1024;
/** A client that reads nothing of a big reply for this long is dropped (it holds memory). */
const SLOW_READER_MS = 60_000;
/** Requests one socket may have waiting for replies before it pauses. */
const SOCKET_MAX_PENDING = 256;
/** At most one line per this interval about misbehaving clients. */
const LOG_INTERVAL_MS = 1000;

/**
 * Whether `address` (an IP literal or "localhost") is a loopback address: 127/8, ::1, and
 * 127/8 mapped into IPv6 (::ffff:127.x.y.z).
 */
export function isLoopback(address: string): boolean {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (bare.toLowerCase() === "localhost") return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  if (!isIPv6(bare)) return false;
  const lower = bare.toLowerCase();
  if (lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped !== null && isIPv4(mapped[1]!) && mapped[1]!.startsWith("127.");
}

/** Whether a bound address means every interface. */
function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "0:0:0:0:0:0:0:0";
}

/** An address as it goes in a URL's host (IPv6 in brackets). */
function urlHost(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/**
 * The names a request may give in its Host header: the bound address, the loopback names when
 * loopback is reachable, the spelling the user gave, and for a wildcard bind every interface's
 * address and the machine's name. Lower case, with the port.
 */
function allowedHosts(given: string, bound: string, port: number): Set<string> {
  const names = new Set<string>([urlHost(bound)]);
  if (given !== "" && !isWildcard(given)) names.add(isIPv6(given) ? urlHost(given) : given);
  if (isLoopback(bound) || isWildcard(bound)) {
    for (const name of ["localhost", "127.0.0.1", "[::1]"]) names.add(name);
  }
  if (isWildcard(bound)) {
    names.add(hostname());
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(urlHost(entry.address));
    }
  }
  // Both as spelled and as a browser's URL parser writes them ([::ffff:127.0.0.1] → [::ffff:7f00:1]).
  const allowed = new Set<string>();
  for (const name of names) {
    allowed.add(`${name.toLowerCase()}:${port}`);
    try {
      allowed.add(new URL(`http://${name}:${port}`).host);
    } catch {
      // not a valid URL host: only the spelling above
    }
  }
  return allowed;
}

function defaultAssets(): string {
  return fileURLToPath(new URL("../renderer/", import.meta.url));
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** The heavy requests in progress over all sockets, and the sockets waiting for room. */
class Backpressure {
  heavyBytes = 0;
  private readonly waiting = new Set<() => void>();

  /** Lets the waiting sockets try again. */
  relieved(): void {
    for (const pump of [...this.waiting]) pump();
  }

  watch(pump: () => void): void {
    this.waiting.add(pump);
  }

  unwatch(pump: () => void): void {
    this.waiting.delete(pump);
  }
}

/**
 * What a request costs until its reply has been written out: its own size, or for readText the
 * text it asks for (the reply is that big).
 */
function weightOf(message: unknown, frameBytes: number): number {
  const request = message as { type?: unknown; start?: unknown; end?: unknown } | null;
  if (request?.type === "readText" && typeof request.start === "number" && typeof request.end === "number") {
    return Math.max(frameBytes, request.end - request.start);
  }
  return frameBytes;
}

/**
 * A WebSocket as a Channel: JSON text frames both ways. A request is handed to the host only
 * when there is room for it: fewer than SOCKET_MAX_PENDING of this socket's requests await their
 * replies, their small messages total under SOCKET_BUDGET_BYTES, less than SOCKET_OUTBOUND_BYTES
 * wait to be written to this client, and a heavy one (a big edit, a big readText) fits in the
 * shared HEAVY_BUDGET_BYTES (one at a time when it is bigger). Until then the socket is paused
 * (TCP pushes back on the client) and its requests wait in order. A request costs until its reply
 * has been written out; a client that stops reading a big reply for SLOW_READER_MS is dropped.
 */
function webSocketChannel(socket: WebSocket, pressure: Backpressure, note: (line: string) => void): Channel {
  /** Weights of the requests whose replies are not yet written out, by id (ids may repeat). */
  const pending = new Map<number, number[]>();
  let pendingCount = 0;
  let smallBytes = 0;
  let deliver: (message: unknown) => void = () => {};
  const queue: { message: unknown; weight: number }[] = [];
  let closed = false;

  const admits = (weight: number) => {
    if (pendingCount >= SOCKET_MAX_PENDING || socket.bufferedAmount > SOCKET_OUTBOUND_BYTES) return false;
    if (weight > HEAVY_MESSAGE_BYTES) {
      return pressure.heavyBytes === 0 || pressure.heavyBytes + weight <= HEAVY_BUDGET_BYTES;
    }
    return smallBytes === 0 || smallBytes + weight <= SOCKET_BUDGET_BYTES;
  };
  const count = (weight: number, sign: 1 | -1) => {
    pendingCount += sign;
    if (weight > HEAVY_MESSAGE_BYTES) pressure.heavyBytes += sign * weight;
    else smallBytes += sign * weight;
  };
  const pump = () => {
    while (!closed && queue.length > 0 && admits(queue[0]!.weight)) {
      const { message, weight } = queue.shift()!;
      const id = (message as { id?: unknown } | null)?.id;
      if (typeof id === "number") {
        count(weight, 1);
        const weights = pending.get(id) ?? [];
        weights.push(weight);
        pending.set(id, weights);
      }
      deliver(message);
    }
    if (closed) return;
    if (queue.length === 0) {
      pressure.unwatch(pump);
      if (socket.isPaused && socket.readyState === WebSocket.OPEN) socket.resume();
    } else {
      pressure.watch(pump);
      if (!socket.isPaused) socket.pause();
    }
  };
  const release = (id: number) => {
    const weights = pending.get(id);
    const weight = weights?.shift();
    if (weight === undefined) return;
    if (weights!.length === 0) pending.delete(id);
    count(weight, -1);
    if (weight > HEAVY_MESSAGE_BYTES) pressure.relieved();
    else pump();
  };
  socket.on("close", () => {
    closed = true;
    queue.length = 0;
    pressure.unwatch(pump);
    for (const weights of pending.values()) for (const weight of weights) count(weight, -1);
    pending.clear();
    pressure.relieved();
  });
  return {
    send(message: HostMessage) {
      const id = "id" in message && typeof message.id === "number" ? message.id : null;
      if (socket.readyState !== WebSocket.OPEN) {
        if (id !== null) release(id);
        return;
      }
      const json = JSON.stringify(message);
      let slow: NodeJS.Timeout | undefined;
      if (json.length > HEAVY_MESSAGE_BYTES) {
        slow = setTimeout(() => {
          note(
            `dropped a client that read nothing of a ${json.length}-byte reply for ${SLOW_READER_MS / 1000} s`,
          );
          socket.terminate();
        }, SLOW_READER_MS);
        slow.unref();
      }
      // Written out (or failed): the request stops counting, and this socket may read on.
      socket.send(json, () => {
        clearTimeout(slow);
        if (id !== null) release(id);
        else pump();
      });
    },
    onMessage(handler) {
      deliver = handler;
      socket.on("message", (data, isBinary) => {
        if (isBinary) {
          queue.push({ message: null, weight: 0 });
        } else {
          const bytes = data as Buffer;
          let message: unknown;
          try {
            message = JSON.parse(bytes.toString());
          } catch {
            message = null;
          }
          queue.push({ message, weight: weightOf(message, bytes.length) });
        }
        pump();
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
  const session = randomBytes(32).toString("hex");
  const assets = options.assets ?? defaultAssets();
  const log = options.log ?? ((line: string) => process.stderr.write(`gigapad: ${line}\n`));
  const maxSockets = options.maxSockets ?? MAX_SOCKETS;
  let index: string;
  try {
    index = readFileSync(join(assets, "index.html"), "utf8");
  } catch {
    throw new Error(`the editor UI is not built (no ${join(assets, "index.html")}); run npm run build`);
  }
  // A page may Save As, and open files, only inside this tree.
  const root = realpathSync(options.root ?? dirname(document.info().path));
  document.confineSaveAs(root);
  const documents = new ServedDocuments(
    document,
    // Other files are followed, and read in an encoding, only when asked for themselves.
    { ...document.options, follow: false, encoding: undefined, ...options.documentOptions, saveAsRoot: root },
    options.idleCloseMs,
  );

  // The UI's files are read once: every page load would otherwise read the 300 KB bundle again.
  const assetCache = new Map<string, Buffer>();
  const cacheAsset = (name: string): Buffer => {
    const body = readFileSync(join(assets, name));
    assetCache.set(name, body);
    return body;
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const pressure = new Backpressure();
  const server: Server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      note(`a request for ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) refuse(response, 500, "Gigapad could not answer that request.");
      else response.destroy();
    });
  });
  server.maxConnections = MAX_HTTP_CONNECTIONS;
  let tokenUsed = false;
  let hosts = new Set<string>();
  let cookieName = "";
  let origin = "";

  // One line per misbehaving client at most, and at most one line a second overall.
  let lastLog = 0;
  let unlogged = 0;
  const note = (line: string) => {
    const now = Date.now();
    if (now - lastLog < LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    lastLog = now;
    log(unlogged > 0 ? `${line} (and ${unlogged} more not shown)` : line);
    unlogged = 0;
  };
  const peer = (socket: Socket | undefined) =>
    socket?.remoteAddress ? `${urlHost(socket.remoteAddress)}:${socket.remotePort}` : "a client";

  /** A document's first lines for the page to paint at once; none if they cannot be read now. */
  function firstWindow(shown: HostedDocument): { window: DocumentWindow; info: DocumentInfo } | null {
    try {
      return { window: shown.firstWindow(), info: shown.info() };
    } catch {
      return null; // the page's editor asks again and reports what went wrong
    }
  }

  function refuse(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    response.end(`${text}\n`);
  }

  /** The HTTP status for a refusal to open or list a path. */
  function statusOf(code: string): number {
    if (code === "ENOENT") return 404;
    if (code === "EOUTSIDE" || code === "EACCES" || code === "EPERM") return 403;
    if (code === "EISDIR" || code === "ENOTDIR" || code === "EBADPATH") return 400;
    return 500;
  }

  function json(response: ServerResponse, status: number, body: unknown, head: boolean): void {
    response.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    });
    response.end(head ? undefined : JSON.stringify(body));
  }

  /** The document a page or socket names: `file` (relative to the root), or FILE when none. */
  async function documentFor(file: string | null): Promise<HostedDocument> {
    if (file === null || file === "") return document;
    return documents.open(await confinedFile(file, root));
  }

  /** Where a page shows `shown`: `/` for FILE, else `/?file=` its path in the tree. */
  function pageOf(shown: HostedDocument): { file: string; url: string; name: string } {
    const name = shown.info().name;
    if (shown === document) return { file: "", url: "/", name };
    const file = relativeToRoot(root, fileKey(shown.doc.path));
    return { file, url: `/?file=${encodeURIComponent(file)}`, name };
  }

  /** `/files?dir=D` (or `?near=F`: the folder of the page's file) and `/files/open?file=F`. */
  async function handleFiles(url: URL, response: ServerResponse, head: boolean): Promise<void> {
    try {
      if (url.pathname === "/files/open") {
        const shown = await documentFor(url.searchParams.get("file") ?? "");
        json(response, 200, pageOf(shown), head);
        return;
      }
      let dir = url.searchParams.get("dir");
      if (dir === null) {
        // The folder of the page's own file, if it lies in the tree; else the tree's root.
        const near = url.searchParams.get("near") ?? "";
        const folder = dirname(near === "" ? fileKey(document.doc.path) : await confinedFile(near, root));
        const inTree = relativeToRoot(root, folder);
        dir = inTree.startsWith("..") || inTree.startsWith("/") ? "" : inTree;
      }
      json(response, 200, await listFolder(dir, root), head);
    } catch (error) {
      const { code, message } = toProtocolError(error);
      json(response, statusOf(code), { error: { code, message } }, head);
    }
  }

  const knownHost = (request: IncomingMessage) => hosts.has((request.headers.host ?? "").toLowerCase());

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!knownHost(request)) {
      refuse(response, 403, "Unknown host name: open the URL gigapad serve printed.");
      return;
    }
    const url = new URL(request.url ?? "/", "http://gigapad.invalid");
    if (request.method !== "GET" && request.method !== "HEAD") {
      refuse(response, 405, "Gigapad serves pages only.");
      return;
    }
    const queryToken = url.searchParams.get("token") ?? undefined;
    if (queryToken !== undefined) {
      if (!sameSecret(queryToken, token)) {
        refuse(response, 403, "Wrong token: use the URL gigapad serve printed.");
        return;
      }
      if (tokenUsed) {
        refuse(
          response,
          403,
          "This URL was already used: open the editor in the browser that used it, or restart gigapad serve.",
        );
        return;
      }
      // Trade the token in the URL for this server's cookie, and show the editor's own URL.
      tokenUsed = true;
      response.writeHead(302, {
        location: "/",
        "set-cookie": `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        "cache-control": "no-store",
      });
      response.end();
      return;
    }
    const cookie = cookieValue(request, cookieName);
    if (cookie === undefined) {
      refuse(response, 401, "Open the URL gigapad serve printed (it carries the token).");
      return;
    }
    if (!sameSecret(cookie, session)) {
      refuse(response, 403, "Wrong token: use the URL gigapad serve printed.");
      return;
    }

    const head = request.method === "HEAD";
    if (url.pathname === "/files" || url.pathname === "/files/open") {
      await handleFiles(url, response, head);
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
    let shown: HostedDocument | null = null;
    if (name === "index.html") {
      const file = url.searchParams.get("file");
      try {
        shown = await documentFor(file);
      } catch (error) {
        const { code, message } = toProtocolError(error);
        refuse(response, statusOf(code), `Gigapad cannot open ${file}: ${message}`);
        return;
      }
    }
    try {
      body = shown
        ? Buffer.from(withFirstScreen(index.replaceAll(NONCE_PLACEHOLDER, nonce), firstWindow(shown)))
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
    response.end(head ? undefined : body);
  }

  // Handshakes ws itself refuses (bad version, bad key...): answered 400 and noted.
  sockets.on("wsClientError", (error, socket, request) => {
    note(`refused a WebSocket handshake from ${peer(request.socket)}: ${error.message}`);
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    socket.destroy();
  });

  server.on("upgrade", (request, socket: Socket, head) => {
    upgrade(request, socket, head).catch((error: unknown) => {
      note(`a WebSocket upgrade failed: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    });
  });

  async function upgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    // The raw socket is ours until ws takes it: a reset must not become an unhandled 'error'.
    socket.on("error", () => socket.destroy());
    const url = new URL(request.url ?? "/", "http://gigapad.invalid");
    // Same origin as the page: the Origin a browser sends must name the host it connected to.
    const sameOrigin =
      request.headers.host !== undefined && request.headers.origin === `http://${request.headers.host}`;
    const allowed =
      knownHost(request) &&
      url.pathname === "/ws" &&
      sameSecret(cookieValue(request, cookieName), session) &&
      sameOrigin;
    if (!allowed) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    let shown: HostedDocument;
    try {
      shown = await documentFor(url.searchParams.get("file"));
    } catch (error) {
      const status = statusOf(toProtocolError(error).code);
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    if (socket.destroyed) return;
    if (sockets.clients.size >= maxSockets) {
      note(`refused a connection from ${peer(socket)}: ${maxSockets} are open already`);
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const from = peer(socket);
      // A protocol error (a frame over the limit, invalid UTF-8, a bad opcode or close code...):
      // ws closes this socket with the matching close code; the server and other clients go on.
      ws.on("error", (error: Error & { code?: string }) => {
        note(`closed the connection from ${from}: ${error.message}${error.code ? ` (${error.code})` : ""}`);
      });
      const gone = documents.use(shown);
      ws.on("close", gone);
      shown.attach(webSocketChannel(ws, pressure, note));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const bound = address.address;
  hosts = allowedHosts(host, bound, address.port);
  cookieName = `gigapad_${address.port}`;
  const shownHost = isWildcard(bound) ? hostname() : urlHost(bound);
  origin = `http://${shownHost}:${address.port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    cookieName,
    address: bound,
    port: address.port,
    exposure: isLoopback(bound) ? "loopback" : "network",
    root,
    openFiles: () => documents.openPaths,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await documents.closeAll();
    },
  };
}

/** The warning `gigapad serve` prints when it listens beyond this machine. */
export function networkWarning(
  server: RunningServer,
  root: string,
  { readOnly = false }: { readOnly?: boolean } = {},
): string {
  const where = isWildcard(server.address) ? `${server.address} (every network interface)` : server.address;
  const can = readOnly
    ? "can read the file"
    : `can read and change the file, and write files anywhere under ${root} as you (Save As)`;
  return (
    `WARNING: serving on ${where}, port ${server.port}, not on this machine only. ` +
    `Anyone on the network who gets the URL (its token) ${can}. It is plain HTTP: anyone who can ` +
    "watch the network can read the token and the text. Use --host 127.0.0.1 unless you mean it."
  );
}
