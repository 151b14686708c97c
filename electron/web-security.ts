/**
 * What keeps the page in its lane, beyond the window options: no navigation away from the app,
 * no new windows, no webviews, no permissions, a strict Content-Security-Policy, and IPC accepted
 * only from our own pages' main frames.
 */
import { editorPagePolicy } from "../presentation/page-policy.js";
import { APP_ORIGIN } from "./window-options.js";

/** The parts of Electron's WebContents the hardening uses (so tests can hand in a fake). */
export interface WebContentsLike {
  on(
    event: "will-navigate" | "will-redirect",
    listener: (event: { preventDefault(): void; url?: string }, url: string) => void,
  ): unknown;
  on(event: "will-attach-webview", listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void;
}

/** Whether `url` is one of the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Blocks navigation, redirects and new windows away from the app, and webviews. */
export function hardenWebContents(
  contents: WebContentsLike,
  onBlocked: (url: string) => void = () => {},
): void {
  const block = (event: { preventDefault(): void }, url: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    onBlocked(url);
  };
  contents.on("will-navigate", block);
  contents.on("will-redirect", block);
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    onBlocked(url);
    return { action: "deny" };
  });
}

/** The Content-Security-Policy of the app's pages: no connections (the engine is a port). */
export function contentSecurityPolicy(nonce: string): string {
  return editorPagePolicy(nonce, "none");
}

/** A frame as the sender check sees it (Electron's WebFrameMain). */
export interface FrameLike {
  url: string;
  processId?: number;
  routingId?: number;
}

/** The parts of an IPC event the sender check looks at. */
export interface IpcSenderLike {
  sender: { id: number; mainFrame?: FrameLike };
  senderFrame: FrameLike | null;
}

/** The same frame: the same object, or the same process and routing ids. */
function sameFrame(a: FrameLike, b: FrameLike | undefined): boolean {
  if (!b) return false;
  if (a === b) return true;
  return a.processId !== undefined && a.processId === b.processId && a.routingId === b.routingId;
}

/**
 * Whether an IPC message comes from one of our windows' main frame showing an app page. Anything
 * else (another page, a subframe, a destroyed frame) is ignored.
 */
export function isTrustedSender(event: IpcSenderLike, windowContentsIds: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame || !sameFrame(frame, event.sender.mainFrame)) return false;
  return windowContentsIds.has(event.sender.id) && isAppUrl(frame.url);
}
