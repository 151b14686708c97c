/**
 * A UI's message to the hosted document, answered: validated (protocol/validate.ts), handed to
 * the part of the host that serves its kind — reads, searches, edits, saves, filters — and
 * answered with exactly one reply, the result or the error in the protocol's words. Which
 * requests queue behind changes and which answer at once is decided by those parts (see
 * change-queue.ts); this file only routes.
 */
import {
  type DocumentInfo,
  type HostEvent,
  PROTOCOL_VERSION,
  parseRequest,
  type Reply,
  type ReplyResults,
  type Request,
} from "../protocol/index.js";
import type { ChangeQueue } from "./change-queue.js";
import type { Channel } from "./channel.js";
import type { ChannelFilters } from "./channel-filters.js";
import type { EditRequests } from "./edit-requests.js";
import { HostError, toProtocolError } from "./host-error.js";
import type { ReadRequests } from "./read-requests.js";
import type { SaveRequests } from "./save-requests.js";
import type { SearchRequests } from "./search-requests.js";

/** The parts of a hosted document that requests go to. */
export interface RequestTargets {
  readonly changes: ChangeQueue;
  readonly reads: ReadRequests;
  readonly searches: SearchRequests;
  readonly edits: EditRequests;
  readonly saves: SaveRequests;
  readonly filters: ChannelFilters;
  /** What a UI shows about the document (the answer to hello). */
  info(): DocumentInfo;
  /** Commits what is not yet committed; resolves when durable. */
  flush(): Promise<void>;
  /** Reads the document in another encoding from now on (see HostedDocument.reopenWithEncoding). */
  reopenWithEncoding(label: string): Promise<DocumentInfo>;
  /** Reads the file at the document's path anew (see HostedDocument.reopenFile). */
  reopenFile(options: { discardEdits: boolean; baseVersion?: number }): Promise<DocumentInfo>;
  /** Stops a running save or Save with Encoding. */
  cancelSave(): Record<string, never>;
  /** Converts the text to another encoding and saves it (see HostedDocument.saveWithEncoding). */
  saveWithEncoding(
    label: string,
    options: { force: boolean },
  ): Promise<{ length: number; info: DocumentInfo }>;
  send(channel: Channel, message: Reply | HostEvent): void;
}

/** Handles one message from a UI; every outcome is exactly one reply (or none for a non-request). */
export async function receiveRequest(
  targets: RequestTargets,
  channel: Channel,
  message: unknown,
): Promise<void> {
  const parsed = parseRequest(message);
  if (!parsed.ok) {
    if (parsed.id !== null) targets.send(channel, { id: parsed.id, ok: false, error: parsed.error });
    else targets.send(channel, { event: "error", code: parsed.error.code, message: parsed.error.message });
    return;
  }
  const request = parsed.request;
  try {
    targets.changes.throwIfClosed();
    const result = await handle(targets, channel, request);
    targets.send(channel, { id: request.id, ok: true, result });
  } catch (error) {
    targets.send(channel, { id: request.id, ok: false, error: toProtocolError(error) });
  }
}

async function handle(
  targets: RequestTargets,
  channel: Channel,
  request: Request,
): Promise<ReplyResults[Request["type"]]> {
  const { reads, searches, edits, saves, filters } = targets;
  switch (request.type) {
    case "hello":
      if (request.protocol !== PROTOCOL_VERSION) {
        throw new HostError(
          "EPROTOCOL",
          `this host speaks protocol ${PROTOCOL_VERSION}, the UI speaks ${request.protocol}: reload the page`,
        );
      }
      return targets.info();
    case "window":
      return reads.window(request);
    case "lineStart":
      return reads.lineStart(request.line);
    case "lineAt":
      return reads.lineAt(request.offset);
    case "readText":
      return reads.readText(request.start, request.end);
    case "count":
      return searches.count(channel, request);
    case "cancelCount":
      return searches.cancel(channel, request.searchId);
    case "findNext":
      return searches.findNext(channel, request);
    case "findInRange":
      return searches.findInRange(channel, request);
    case "edit":
      return edits.edit(request.baseVersion, request.edits, channel);
    case "undo":
    case "redo":
      return edits.undoOrRedo(request.type);
    case "replaceAll":
      return edits.replaceAll(channel, request);
    case "save":
      return saves.save({ force: request.force ?? false });
    case "saveAs":
      return saves.saveAs(request);
    case "cancelSave":
      return targets.cancelSave();
    case "reopenWithEncoding":
      return targets.reopenWithEncoding(request.encoding);
    case "reopenFile":
      return targets.reopenFile({
        discardEdits: request.discardEdits ?? false,
        ...(request.baseVersion === undefined ? {} : { baseVersion: request.baseVersion }),
      });
    case "saveWithEncoding":
      return targets.saveWithEncoding(request.encoding, { force: request.force ?? false });
    case "filter":
      return filters.run(channel, request.filterId, request.query);
    case "filterLines": {
      const filter = filters.get(channel, request.filterId);
      return {
        lines: filter.window(request.from, request.count),
        total: filter.count,
        done: filter.isFinished,
      };
    }
    case "filterIndex":
      return { index: filters.get(channel, request.filterId).indexOfLine(request.line) };
    case "saveFiltered":
      // In the queue of changes: no edit may change the lines while they are written.
      return targets.changes.run(() =>
        filters.save(channel, request.filterId, request.path, { force: request.force ?? false }),
      );
    case "commit":
      await targets.flush();
      return {};
  }
}
