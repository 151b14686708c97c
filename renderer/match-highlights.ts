/**
 * Find matches inside the window, highlighted: the engine's answer (byte ranges) drawn as
 * decorations, the current match apart, and mapped through every change (typing, a load or a
 * slide) until the engine's next answer replaces them — a set kept as it was would point past
 * the new text.
 */
import { StateEffect, StateField, type Text } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView } from "@codemirror/view";
import type { Match } from "../protocol/messages.js";
import type { WindowContext } from "./window-context.js";
import { type WindowState, windowOf } from "./window-state.js";

const matchMark = Decoration.mark({ class: "cm-gp-match" });
const currentMatchMark = Decoration.mark({ class: "cm-gp-match cm-gp-match-current" });
const setMatchesEffect = StateEffect.define<DecorationSet>();

/** The highlighted matches of an editor state (an extension of the editor). */
export const matchesField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(matches, tr) {
    let next = matches.map(tr.changes);
    for (const effect of tr.effects) if (effect.is(setMatchesEffect)) next = effect.value;
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** A match as editor positions, and whether it is the current one. */
export interface MatchRange {
  from: number;
  to: number;
  current: boolean;
}

/** The matches that lie in the window, as editor positions (empty or outside ones left out). */
export function matchRangesIn(
  docWindow: WindowState,
  doc: Text,
  matches: readonly Match[],
  current: Match | null,
): MatchRange[] {
  const ranges: MatchRange[] = [];
  for (const match of matches) {
    const from = docWindow.posAtByte(doc, match.start);
    const to = docWindow.posAtByte(doc, match.end);
    if (from === null || to === null || to <= from) continue;
    ranges.push({ from, to, current: current?.start === match.start && current.end === match.end });
  }
  return ranges;
}

export class MatchHighlights {
  private shown: { ranges: Match[]; current: Match | null } = { ranges: [], current: null };

  constructor(private readonly context: WindowContext) {}

  /** Highlights `ranges` (byte ranges from the engine), `current` apart. */
  setMatches(ranges: Match[], current: Match | null): void {
    // Nothing shown and nothing to show (find closed, every slide): no reconfiguration.
    if (ranges.length === 0 && current === null && this.shown.ranges.length === 0 && !this.shown.current)
      return;
    this.shown = { ranges, current };
    const view = this.context.view;
    const builder = matchRangesIn(windowOf(view.state), view.state.doc, ranges, current).map((range) =>
      (range.current ? currentMatchMark : matchMark).range(range.from, range.to),
    );
    view.dispatch({ effects: setMatchesEffect.of(Decoration.set(builder, true)) });
  }
}
