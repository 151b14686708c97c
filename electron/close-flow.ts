/**
 * What closing a window does. A document whose content differs from its file asks: Save, Don't
 * Save (drops the session: the next open shows the file as on disk) or Cancel. A save that fails
 * keeps the window open — nothing is lost on the way out.
 */
export type CloseChoice = "save" | "discard" | "cancel";

export interface CloseDecision {
  close: boolean;
  /** What the engine does with the document's session when the window goes. */
  release: "keep" | "discard";
}

export async function decideClose(
  document: { modified: boolean; name: string },
  ask: (name: string) => Promise<CloseChoice>,
  save: () => Promise<{ ok: true } | { ok: false; message: string }>,
  report: (message: string) => Promise<void>,
): Promise<CloseDecision> {
  if (!document.modified) return { close: true, release: "keep" };
  const choice = await ask(document.name);
  if (choice === "cancel") return { close: false, release: "keep" };
  if (choice === "discard") return { close: true, release: "discard" };
  const saved = await save();
  if (saved.ok) return { close: true, release: "keep" };
  await report(
    `${document.name} was not saved: ${saved.message}. The window stays open; your edits are safe.`,
  );
  return { close: false, release: "keep" };
}

/** The buttons of the question, in the order the dialog shows them, and what each means. */
export const CLOSE_BUTTONS: readonly { label: string; choice: CloseChoice }[] = [
  { label: "Save", choice: "save" },
  { label: "Don't Save", choice: "discard" },
  { label: "Cancel", choice: "cancel" },
];
