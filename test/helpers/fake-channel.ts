/** A Channel for driving the engine host in tests: records what the host sends. */
import type { Channel } from "../../host/channel.js";
import type { HostedDocument } from "../../host/hosted-document.js";
import type {
  HostEvent,
  HostMessage,
  Reply,
  ReplyResults,
  Request,
  RequestType,
} from "../../protocol/index.js";

export class FakeChannel implements Channel {
  readonly sent: HostMessage[] = [];
  private nextId = 1;
  private closeHandler: (() => void) | null = null;

  constructor(private readonly host: HostedDocument) {
    host.attach(this);
  }

  send(message: HostMessage): void {
    // What crosses a real transport: JSON (WebSocket) or structured clone (MessagePort).
    this.sent.push(JSON.parse(JSON.stringify(message)) as HostMessage);
  }

  onMessage(): void {}

  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  close(): void {
    this.closeHandler?.();
  }

  /** Sends a raw message and returns the reply to it (by id), if any. */
  async raw(message: unknown): Promise<Reply | undefined> {
    const id = (message as { id?: number }).id;
    await this.host.receive(this, message);
    return this.sent.find((sent): sent is Reply => "id" in sent && sent.id === id);
  }

  /** Sends a request; resolves with its result or rejects with the host's error. */
  async request<T extends RequestType>(
    type: T,
    params: Omit<Extract<Request, { type: T }>, "id" | "type">,
  ): Promise<ReplyResults[T]> {
    const reply = await this.raw({ id: this.nextId++, type, ...params });
    if (!reply) throw new Error(`no reply to ${type}`);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.result as ReplyResults[T];
  }

  events<E extends HostEvent["event"]>(name: E): Extract<HostEvent, { event: E }>[] {
    return this.sent.filter(
      (message): message is Extract<HostEvent, { event: E }> => "event" in message && message.event === name,
    );
  }
}
