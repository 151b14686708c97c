/**
 * The main process's handle on the engine process (a utilityProcess): numbered commands with
 * promised replies, and a notice when the process dies, so every window can say so.
 */
import { EventEmitter } from "node:events";
import type { EngineCommand, EngineReply } from "./engine-commands.js";

/** What the main process needs of a forked utility process (or of a fake in tests). */
export interface EngineProcessLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  kill(): boolean;
}

type WithoutId<T> = T extends unknown ? Omit<T, "requestId"> : never;

export interface EngineClientEvents {
  exit: [code: number];
}

export class EngineClient extends EventEmitter<EngineClientEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: EngineReply) => void>();
  private exited: number | null = null;

  constructor(private readonly child: EngineProcessLike) {
    super();
    child.on("message", (message) => {
      const reply = message as EngineReply;
      const resolve = this.pending.get(reply.requestId);
      if (!resolve) return;
      this.pending.delete(reply.requestId);
      resolve(reply);
    });
    child.on("exit", (code) => {
      this.exited = code;
      for (const [requestId, resolve] of this.pending) {
        resolve({
          type: "failed",
          requestId,
          code: "EENGINEGONE",
          message: `the Gigapad engine stopped (exit code ${code})`,
        });
      }
      this.pending.clear();
      this.emit("exit", code);
    });
  }

  /** Whether the engine process is still running. */
  get running(): boolean {
    return this.exited === null;
  }

  /** Sends a command (transferring `ports` with it) and resolves with the engine's reply. */
  send(command: WithoutId<EngineCommand>, ports: unknown[] = []): Promise<EngineReply> {
    const requestId = this.nextId++;
    if (this.exited !== null) {
      return Promise.resolve({
        type: "failed",
        requestId,
        code: "EENGINEGONE",
        message: `the Gigapad engine stopped (exit code ${this.exited})`,
      });
    }
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.child.postMessage({ ...command, requestId }, ports);
    });
  }

  kill(): void {
    this.child.kill();
  }
}
