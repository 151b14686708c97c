/**
 * A UI's searches over the hosted document: streamed counts, find next / previous, the matches in
 * view (findInRange) — and the bookkeeping that cancels them: each UI's running searches by id
 * (a cancelCount, or the UI going away, stops them; replaceAll and filters register theirs here
 * too), and one signal per UI that stops its finds.
 */
import type { Document } from "../piece-table/index.js";
import type { HostEvent, Request } from "../protocol/index.js";
import type { Channel } from "./channel.js";
import { countWholeCharacterMatches, wholeCharacterMatches } from "./character-boundary.js";
import { findArguments } from "./find-arguments.js";
import { type FindNextResult, findNext } from "./find-next.js";
import { progressThrottle } from "./progress-throttle.js";
import type { TextCodec } from "./text-codec.js";

/**
 * Longest a findInRange (the matches in view, asked for as the user types a pattern) may scan:
 * a pattern that backtracks for ever must not hold a regex worker for ever.
 */
export const FIND_IN_RANGE_MS = 10_000;

/**
 * A signal that aborts with `parent`, or with a TimeoutError after `ms`; `done` lets go of both
 * (AbortSignal.any would tie every such signal to the long-lived parent).
 */
function timeLimited(parent: AbortSignal, ms: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException("the search took too long", "TimeoutError")),
    ms,
  );
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}

/** What the searches need of their host. */
export interface SearchHost {
  readonly doc: Document;
  send(channel: Channel, event: HostEvent): void;
  /** Commits what was typed (a long job starts: it is committed now, not after it). */
  commitSoon(): void;
  /** Longest a findInRange may scan (default FIND_IN_RANGE_MS). */
  readonly findInRangeMs: number;
  /** The document's encoding now (queries are encoded as the file writes them). */
  codec(): TextCodec;
}

type CountRequest = Extract<Request, { type: "count" }>;
type FindNextRequest = Extract<Request, { type: "findNext" }>;
type FindInRangeRequest = Extract<Request, { type: "findInRange" }>;

export class SearchRequests {
  /** Running searches per channel and search id, to cancel them. */
  private readonly running = new Map<Channel, Map<number, AbortController>>();
  /** Per UI: aborts its finds (findNext, findInRange) when it goes away or the document closes. */
  private readonly findAborts = new Map<Channel, AbortController>();

  constructor(private readonly host: SearchHost) {}

  /** A UI's running searches (counts, replace-alls, filters) by id, to cancel them. */
  searchesOf(channel: Channel): Map<number, AbortController> {
    let searches = this.running.get(channel);
    if (!searches) {
      searches = new Map();
      this.running.set(channel, searches);
    }
    return searches;
  }

  /** Counts the matches in a range, with progress events; the last one says `done`. */
  async count(channel: Channel, request: CountRequest): Promise<{ count: number }> {
    const { doc } = this.host;
    const searches = this.searchesOf(channel);
    searches.get(request.searchId)?.abort();
    const abort = new AbortController();
    searches.set(request.searchId, abort);
    const [pattern, options] = findArguments(request.query, this.host.codec());
    const tooSoon = progressThrottle();
    const start = Math.min(request.start ?? 0, doc.length);
    const end = Math.min(request.end ?? doc.length, doc.length);
    // A long job: what was typed before it is committed now, not after it.
    this.host.commitSoon();
    try {
      const count = await countWholeCharacterMatches(
        doc,
        pattern,
        {
          ...options,
          start,
          end: Math.max(start, end),
          signal: abort.signal,
          onProgress: (progress) => {
            if (tooSoon()) return;
            this.host.send(channel, {
              event: "countProgress",
              searchId: request.searchId,
              count: progress.matches,
              scanned: progress.bytesDone,
              done: false,
            });
          },
        },
        this.host.codec().encoding,
      );
      this.host.send(channel, {
        event: "countProgress",
        searchId: request.searchId,
        count,
        scanned: end - start,
        done: true,
      });
      return { count };
    } finally {
      if (searches.get(request.searchId) === abort) searches.delete(request.searchId);
    }
  }

  /** Stops the UI's search `searchId` (a count, a replaceAll, a filter), if it runs. */
  cancel(channel: Channel, searchId: number): Record<string, never> {
    this.running.get(channel)?.get(searchId)?.abort();
    return {};
  }

  /** The next (or previous) match from a position, wrapping around (see find-next.ts). */
  findNext(channel: Channel, request: FindNextRequest): Promise<FindNextResult> {
    const [pattern, options] = findArguments(request.query, this.host.codec());
    return findNext(
      this.host.doc,
      pattern,
      { ...options, signal: this.findSignal(channel) },
      request.from,
      request.direction,
      this.host.codec().encoding,
    );
  }

  /** The matches in a range (the view), at most `limit`; a scan that takes too long is stopped. */
  async findInRange(channel: Channel, request: FindInRangeRequest) {
    const { doc } = this.host;
    const [pattern, options] = findArguments(request.query, this.host.codec());
    const end = Math.min(request.end, doc.length);
    const matches = [];
    const { signal, done } = timeLimited(this.findSignal(channel), this.host.findInRangeMs);
    try {
      const range = { start: Math.min(request.start, end), end, limit: request.limit + 1 };
      const encoding = this.host.codec().encoding;
      for await (const match of wholeCharacterMatches(
        doc,
        pattern,
        { ...options, signal, ...range },
        encoding,
      )) {
        matches.push(match);
      }
    } finally {
      done();
    }
    const truncated = matches.length > request.limit;
    return { matches: truncated ? matches.slice(0, request.limit) : matches, truncated };
  }

  /** The UI went away: its finds and searches stop. */
  drop(channel: Channel): void {
    this.findAborts.get(channel)?.abort();
    this.findAborts.delete(channel);
    for (const search of this.running.get(channel)?.values() ?? []) search.abort();
    this.running.delete(channel);
  }

  /** The document closes: every search and find stops. */
  abortAll(): void {
    for (const searches of this.running.values()) for (const search of searches.values()) search.abort();
    for (const finds of this.findAborts.values()) finds.abort();
  }

  /** The signal that stops `channel`'s finds (when it goes away, or the document closes). */
  private findSignal(channel: Channel): AbortSignal {
    let abort = this.findAborts.get(channel);
    if (!abort) {
      abort = new AbortController();
      this.findAborts.set(channel, abort);
    }
    return abort.signal;
  }
}
