// Functions that run inside the editor page (passed to page.evaluate). Plain JavaScript: the
// test code is compiled without the DOM's types, and these only read what the page shows.

/** The editor lines on screen with their gutter numbers. */
export function visibleLinesProbe() {
  const numbers = [...document.querySelectorAll(".cm-lineNumbers .cm-gutterElement")]
    .filter((element) => element.style.height !== "0px" && element.textContent !== "")
    .map((element) => ({ top: element.getBoundingClientRect().top, text: element.textContent ?? "" }));
  const scroller = document.querySelector(".cm-scroller").getBoundingClientRect();
  return (
    [...document.querySelectorAll(".cm-content .cm-line")]
      .map((line) => {
        const rect = line.getBoundingClientRect();
        const number = numbers.find((n) => Math.abs(n.top - rect.top) < 2)?.text ?? "";
        return { top: rect.top, bottom: rect.bottom, number, text: line.textContent ?? "" };
      })
      // As the editor counts them: a line with only a sliver (3 px) on screen is not shown.
      .filter((line) => line.bottom > scroller.top + 3 && line.top < scroller.bottom - 3)
      .map(({ number, text }) => ({ number, text }))
  );
}

/** The status bar's cells by name. */
export function statusProbe() {
  return Object.fromEntries(
    [...document.querySelectorAll("#status [data-cell]")].map((cell) => [
      cell.dataset.cell,
      cell.textContent ?? "",
    ]),
  );
}

/** Messages shown to the user. */
export function messagesProbe() {
  return [...document.querySelectorAll("#messages .gp-message span")].map((span) => span.textContent ?? "");
}

/** The text of the editor's main selection (the page exposes its editor as window.gigapad). */
export function selectedTextProbe() {
  const state = window.gigapad.editor.view.state;
  const range = state.selection.main;
  return state.sliceDoc(range.from, range.to);
}

/**
 * Where the first line's text and line number are drawn ([left, top, width], 0.1 px), and the
 * first three lines and numbers: for the page's first screen or the editor, by their selectors.
 */
export function firstLinesLayoutProbe([lineSelector, numberSelector]) {
  const box = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const rect = range.getBoundingClientRect();
    return [rect.left, rect.top, rect.width].map((n) => Math.round(n * 10) / 10);
  };
  const lines = [...document.querySelectorAll(lineSelector)];
  // Gutter sizers are there but invisible (CodeMirror's has no height).
  const numbers = [...document.querySelectorAll(numberSelector)].filter(
    (element) => element.textContent !== "" && element.getBoundingClientRect().height > 0,
  );
  return {
    line: box(lines[0]),
    number: box(numbers[0]),
    texts: lines.slice(0, 3).map((line) => line.textContent),
    numbers: numbers.slice(0, 3).map((number) => number.textContent),
  };
}

/**
 * Starts recording, after each of the next `frames` frames is drawn, the first line on screen
 * ("" if none) and the line numbers shown, as `visibleLines` (visibleLinesProbe, passed in: a
 * probe runs in the page without this module) reads them: window.__frames holds them.
 */
export function recordFramesProbe(frames, visibleLines) {
  const record = [];
  window.__frames = record;
  const sample = () => {
    const lines = visibleLines();
    record.push({ first: lines[0]?.number ?? "", numbers: lines.map((line) => line.number) });
    if (record.length < frames) requestAnimationFrame(() => setTimeout(sample));
  };
  requestAnimationFrame(() => setTimeout(sample));
}

/**
 * Whether the character `offset` UTF-16 units into the first editor line is drawn inside the
 * scroller's box (on screen), or null if the line is shorter.
 */
export function characterOnScreenProbe(offset) {
  const line = document.querySelector(".cm-content .cm-line");
  const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
  let left = offset;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = node.textContent.length;
    if (left < length) {
      const range = document.createRange();
      range.setStart(node, left);
      range.setEnd(node, left + 1);
      const box = range.getBoundingClientRect();
      const view = document.querySelector(".cm-scroller").getBoundingClientRect();
      return (
        box.left >= view.left && box.right <= view.right && box.top >= view.top && box.bottom <= view.bottom
      );
    }
    left -= length;
  }
  return null;
}
