/**
 * The engine for a whole desktop app: the open documents, one per file, each shared by the
 * windows that show it. A document closes (committing: hot exit) when its last window lets go, or
 * is discarded when the user chose "Don't save".
 */
import { resolve } from "node:path";
import { fileKey } from "./file-key.js";
import { HostedDocument, type HostedDocumentOptions } from "./hosted-document.js";

interface Entry {
  opening: Promise<HostedDocument>;
  /** Set once open, to find the document by the path it has now (after Save As). */
  document?: HostedDocument;
  users: number;
  /** A window chose "Don't save": drop the session when it lets go. */
  discard?: boolean;
}

export class EngineHost {
  private readonly documents = new Map<string, Entry>();

  constructor(private readonly options: HostedDocumentOptions = {}) {}

  /** The document for `path`, opening it if no window has it yet. Throws what open() throws. */
  async open(path: string): Promise<HostedDocument> {
    const key = fileKey(path);
    let entry = this.documents.get(key);
    if (!entry) {
      const created: Entry = { opening: HostedDocument.open(path, this.options), users: 0 };
      entry = created;
      this.documents.set(key, entry);
      entry.opening.then(
        (document) => {
          created.document = document;
        },
        () => this.documents.delete(key),
      );
    }
    entry.users++;
    try {
      return await entry.opening;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  /** The user chose "Don't save" for `path`: its session goes when the window lets go. */
  markDiscard(path: string): void {
    const key = this.keyFor(path);
    const entry = key === undefined ? undefined : this.documents.get(key);
    if (entry) entry.discard = true;
  }

  /** A window let go of `path`: the last one closes the document (or discards its session). */
  async release(path: string): Promise<void> {
    const key = this.keyFor(path);
    const entry = key === undefined ? undefined : this.documents.get(key);
    if (!entry || key === undefined) return;
    entry.users--;
    const document = await entry.opening;
    if (entry.discard) {
      // "Don't save" drops the edits for every window showing the file.
      this.documents.delete(key);
      await document.discard();
      return;
    }
    if (entry.users > 0) return;
    this.documents.delete(key);
    await document.close();
  }

  /** The open document for `path`, if a window has it. */
  async get(path: string): Promise<HostedDocument | null> {
    const key = this.keyFor(path);
    const entry = key === undefined ? undefined : this.documents.get(key);
    return entry ? entry.opening : null;
  }

  /** The key of the document opened as `path`, or now at `path` (it was saved there). */
  private keyFor(path: string): string | undefined {
    const key = fileKey(path);
    if (this.documents.has(key)) return key;
    const absolute = resolve(path);
    for (const [candidate, entry] of this.documents) {
      if (entry.document && (entry.document.doc.path === absolute || entry.document.doc.path === key))
        return candidate;
    }
    return undefined;
  }

  /** Paths open now. */
  get openPaths(): string[] {
    return [...this.documents.keys()];
  }

  /** Commits and closes everything (quitting). */
  async closeAll(): Promise<void> {
    const entries = [...this.documents.values()];
    this.documents.clear();
    await Promise.allSettled(entries.map(async (entry) => (await entry.opening).close()));
  }
}
