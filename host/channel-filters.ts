/**
 * The filter views of the UIs of one hosted document: each UI's newest filter (an older one is
 * dropped), found by the engine (line-filter.ts), served a window at a time, written to a new file.
 * A filter belongs to one version of the document: after an edit it answers ESTALE.
 */
import type { Document } from "../piece-table/index.js";
import type { FindQuery, HostEvent } from "../protocol/index.js";
import type { Channel } from "./channel.js";
import { findArguments } from "./find-arguments.js";
import { HostError } from "./host-error.js";
import { LineFilter } from "./line-filter.js";
import { progressThrottle } from "./progress-throttle.js";
import { newFileTarget } from "./save-target.js";
import type { TextCodec } from "./text-codec.js";

/** What the filters need of their host. */
export interface FilterHost {
  readonly doc: Document;
  /** The content version now. */
  version(): number;
  /** The UI's running searches by id (a cancelCount with the filter's id cancels it). */
  searches(channel: Channel): Map<number, AbortController>;
  send(channel: Channel, event: HostEvent): void;
  /** The folder tree a UI may write in, or null (the desktop app: anywhere). */
  saveAsRoot(): string | null;
  /** What ends each line written out. */
  newline(): "\n" | "\r\n";
  /** The document's encoding now (the query is encoded in it, lines decoded from it). */
  codec(): TextCodec;
  /** Text of a line's bytes in that encoding. */
  decode(bytes: Buffer): string;
}

export class ChannelFilters {
  private readonly filters = new Map<Channel, { id: number; filter: LineFilter }>();

  constructor(private readonly host: FilterHost) {}

  /** Runs a filter for a UI (replacing its previous one); resolves when the scan is done. */
  async run(
    channel: Channel,
    filterId: number,
    query: FindQuery,
  ): Promise<{ lines: number; version: number }> {
    const searches = this.host.searches(channel);
    const previous = this.filters.get(channel);
    if (previous) searches.get(previous.id)?.abort();
    const abort = new AbortController();
    searches.set(filterId, abort);
    const [pattern, options] = findArguments(query, this.host.codec());
    const tooSoon = progressThrottle();
    const filter = new LineFilter(
      this.host.doc,
      this.host.version(),
      pattern,
      options,
      abort.signal,
      (progress) => {
        // Called from the scan, never during construction: `filter` is set by then.
        const done = filter.isFinished;
        if (!done && tooSoon()) return;
        this.host.send(channel, { event: "filterProgress", filterId, ...progress, done });
      },
      (bytes) => this.host.decode(bytes),
      this.host.codec().encoding,
    );
    this.filters.set(channel, { id: filterId, filter });
    try {
      const lines = await filter.done;
      return { lines, version: filter.version };
    } finally {
      if (searches.get(filterId) === abort) searches.delete(filterId);
    }
  }

  /** The UI's filter by id, of the current version (ENOFILTER, ESTALE otherwise). */
  get(channel: Channel, filterId: number): LineFilter {
    const entry = this.filters.get(channel);
    if (!entry || entry.id !== filterId)
      throw new HostError("ENOFILTER", "that filter is gone; filter again");
    if (entry.filter.version !== this.host.version()) {
      throw new HostError("ESTALE", "the document changed since it was filtered; filter again");
    }
    return entry.filter;
  }

  /**
   * Writes a filter's lines to a new file (where newFileTarget allows). Run in the host's queue
   * of changes: after the version check here, no edit comes between.
   */
  async save(
    channel: Channel,
    filterId: number,
    requested: string,
    { force }: { force: boolean },
  ): Promise<{ lines: number; bytes: number; path: string }> {
    const filter = this.get(channel, filterId);
    const path = newFileTarget(requested, this.host.doc.path, this.host.saveAsRoot(), { force });
    const written = await filter.saveTo(path, this.host.codec().encode(this.host.newline()));
    return { ...written, path };
  }

  /** The UI went away. */
  drop(channel: Channel): void {
    this.filters.delete(channel);
  }
}
