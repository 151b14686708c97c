/**
 * The UI's end of the protocol: numbered requests with promised replies, and host events.
 * Transport-agnostic: a WebSocket to `gigapad serve`, or the desktop app's MessagePort bridge.
 */
import type { HostEvent, HostMessage, ReplyResults, Request, RequestType } from "../protocol/messages.js";

/** Carries messages to and from the host; may drop and be reconnected. */
export interface Transport {
  /** Starts (or restarts) the connection; handlers say what happened. */
  connect(handlers: TransportHandlers): void;
  /** Sends a request; only called while open. */
  send(request: Request): void;
  /** True if a dropped connection may come back by connecting again. */
  readonly canReconnect: boolean;
}

export interface TransportHandlers {
  open(): void;
  message(message: HostMessage): void;
  close(reason: string): void;
}

/** A refused or failed request: the host's code (ESTALE, ERANGE, ...) and sentence. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

type RequestParams<T extends RequestType> = Omit<Extract<Request, { type: T }>, "id" | "type">;

interface Pending {
  resolve(value: unknown): void;
  reject(error: RequestError): void;
}

export type ConnectionStatus = "connecting" | "open" | "closed";

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: HostEvent) => void>();
  private readonly statusListeners = new Set<(status: ConnectionStatus, reason: string) => void>();
  private current: ConnectionStatus = "connecting";

  constructor(private readonly transport: Transport) {}

  get status(): ConnectionStatus {
    return this.current;
  }

  get canReconnect(): boolean {
    return this.transport.canReconnect;
  }

  /** Connects; status listeners hear "open" or "closed". */
  connect(): void {
    this.setStatus("connecting", "");
    this.transport.connect({
      open: () => this.setStatus("open", ""),
      message: (message) => this.receive(message),
      close: (reason) => {
        // Requests in flight will never be answered: fail them now.
        const pending = [...this.pending.values()];
        this.pending.clear();
        for (const request of pending) request.reject(new RequestError("EDISCONNECTED", reason));
        this.setStatus("closed", reason);
      },
    });
  }

  /** Sends a request; resolves with its result, rejects with a RequestError. */
  request<T extends RequestType>(type: T, params: RequestParams<T>): Promise<ReplyResults[T]> {
    if (this.current !== "open") {
      return Promise.reject(new RequestError("EDISCONNECTED", "not connected to the Gigapad engine"));
    }
    const id = this.nextId++;
    return new Promise<ReplyResults[T]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.transport.send({ id, type, ...params } as Request);
    });
  }

  onEvent(listener: (event: HostEvent) => void): void {
    this.eventListeners.add(listener);
  }

  onStatus(listener: (status: ConnectionStatus, reason: string) => void): void {
    this.statusListeners.add(listener);
  }

  private receive(message: HostMessage): void {
    if ("event" in message) {
      for (const listener of this.eventListeners) listener(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new RequestError(message.error.code, message.error.message));
  }

  private setStatus(status: ConnectionStatus, reason: string): void {
    this.current = status;
    for (const listener of this.statusListeners) listener(status, reason);
  }
}

/** The WebSocket of `gigapad serve` (same origin as the page; the cookie carries the token). */
export class WebSocketTransport implements Transport {
  readonly canReconnect = true;
  private socket: WebSocket | null = null;

  constructor(
    private readonly url: string,
    /** A socket opened before the bundle loaded (boot.js), used for the first connection. */
    private early: WebSocket | null = null,
  ) {}

  connect(handlers: TransportHandlers): void {
    const socket = this.early ?? new WebSocket(this.url);
    this.early = null;
    this.socket = socket;
    let opened = false;
    const open = () => {
      opened = true;
      handlers.open();
    };
    if (socket.readyState === WebSocket.OPEN) queueMicrotask(open);
    else socket.onopen = open;
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      let message: HostMessage;
      try {
        message = JSON.parse(event.data) as HostMessage;
      } catch {
        return;
      }
      handlers.message(message);
    };
    if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) {
      queueMicrotask(() => handlers.close("cannot reach gigapad serve (is it still running?)"));
      return;
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      handlers.close(
        opened
          ? `the connection to gigapad serve was lost${event.reason ? ` (${event.reason})` : ""}`
          : "cannot reach gigapad serve (is it still running?)",
      );
    };
  }

  send(request: Request): void {
    this.socket?.send(JSON.stringify(request));
  }
}
