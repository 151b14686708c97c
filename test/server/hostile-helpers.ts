/** What the hostile-client tests share: logging in, raw WebSocket frames, a JSON client. */
import { request as httpRequest } from "node:http";
import { type Socket, connect as tcpConnect } from "node:net";
import WebSocket from "ws";

/** Trades the URL's token for the server's cookie, as a browser does; returns the Cookie header. */
export async function login(url: string): Promise<string> {
  const response = await fetch(url, { redirect: "manual" });
  if (response.status !== 302) throw new Error(`login: HTTP ${response.status}`);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

/** A GET with any headers (fetch will not send a foreign Host). */
export function rawGet(
  origin: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname.replace(/^\[|\]$/g, ""), port, path, headers, method: "GET" },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** A protocol client: requests by id, replies as promises, events kept. */
export class Client {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  readonly events: Record<string, unknown>[] = [];
  closed: Promise<{ code: number }>;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Reply & Record<string, unknown>;
      if (typeof message.id === "number") {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      } else {
        this.events.push(message);
      }
    });
    this.closed = new Promise((resolve) => socket.on("close", (code) => resolve({ code })));
  }

  static open(origin: string, cookie: string): Promise<Client> {
    const url = `${origin.replace("http", "ws")}/ws`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers: { cookie, origin }, maxPayload: 512 * 1024 * 1024 });
      socket.once("open", () => resolve(new Client(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
    });
  }

  request(type: string, fields: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

export type Reply =
  | { id: number; ok: true; result: Record<string, unknown> }
  | { id: number; ok: false; error: { code: string; message: string } };

/** Opens a raw TCP connection to the server and completes a valid WebSocket upgrade on it. */
export async function rawUpgrade(origin: string, cookie: string): Promise<Socket> {
  const { hostname, port, host } = new URL(origin);
  const socket = tcpConnect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      `Origin: ${origin}\r\nCookie: ${cookie}\r\n\r\n`,
  );
  let head = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (head.startsWith("HTTP/1.1 101")) resolve();
      else reject(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
    };
    socket.on("data", onData);
  });
  return socket;
}

/** A client frame: masked unless told otherwise; `declaredLength` may lie about the payload. */
export function frame(options: {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  rsv1?: boolean;
  masked?: boolean;
  declaredLength?: number;
}): Buffer {
  const payload = options.payload ?? Buffer.alloc(0);
  const length = options.declaredLength ?? payload.length;
  const masked = options.masked ?? true;
  const first = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | options.opcode;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([first, (masked ? 0x80 : 0) | length]);
  } else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([header, key, body]);
}

/**
 * Everything the server sends until it closes the connection; resolves with the close code of
 * its close frame (or null if it sent none) once the TCP connection ends.
 */
export function serverCloseCode(socket: Socket): Promise<number | null> {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk) => chunks.push(chunk));
  return new Promise((resolve) => {
    socket.on("error", () => {});
    socket.on("close", () => {
      const data = Buffer.concat(chunks);
      // Frames from the server are unmasked; find the close frame (opcode 8).
      for (let at = 0; at + 2 <= data.length; ) {
        const opcode = data[at]! & 0x0f;
        let length = data[at + 1]! & 0x7f;
        let start = at + 2;
        if (length === 126) {
          length = data.readUInt16BE(at + 2);
          start = at + 4;
        } else if (length === 127) {
          length = Number(data.readBigUInt64BE(at + 2));
          start = at + 10;
        }
        if (opcode === 8) {
          resolve(length >= 2 ? data.readUInt16BE(start) : null);
          return;
        }
        at = start + length;
      }
      resolve(null);
    });
  });
}
