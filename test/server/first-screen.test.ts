import { describe, expect, it } from "vitest";
import type { DocumentWindow } from "../../protocol/index.js";
import {
  FIRST_SCREEN_COLUMNS,
  FIRST_SCREEN_LINES,
  firstScreenHtml,
  withFirstScreen,
} from "../../server/first-screen.js";

function windowOf(lines: string[], breaks: number[], atEnd = true): DocumentWindow {
  const bytes =
    lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) + breaks.reduce((a, b) => a + b, 0);
  return {
    version: 0,
    start: 0,
    end: bytes,
    firstLine: 0,
    lines,
    breaks,
    anchorIndex: 0,
    atStart: true,
    atEnd,
  };
}

/** The texts of the drawn lines and gutter numbers, tags removed, entities decoded. */
function drawn(html: string): { numbers: string[]; lines: string[]; spacer: string } {
  const text = (fragment: string) =>
    fragment
      .replace(/<br>/g, "")
      .replace(/<[^>]+>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
  const numbers = [...html.matchAll(/<div class="gp-fs-number(?: gp-fs-active)?">(.*?)<\/div>/g)].map(
    (m) => m[1]!,
  );
  const lines = [...html.matchAll(/<div class="gp-fs-line(?: gp-fs-active)?">(.*?)<\/div>/g)].map((m) =>
    text(m[1]!),
  );
  const spacer = /gp-fs-spacer">(\d+)</.exec(html)?.[1] ?? "";
  return { numbers, lines, spacer };
}

describe("the page's first screen", () => {
  it("draws the first lines with their numbers, markup escaped, the first line active", () => {
    const html = firstScreenHtml(windowOf(['<b class="x">&amp;</b>', "", "last"], [1, 2]), {
      length: 31,
      lineCount: 3,
    });
    expect(drawn(html)).toEqual({
      numbers: ["1", "2", "3"],
      lines: ['<b class="x">&amp;</b>', "", "last"],
      spacer: "3",
    });
    expect(html).not.toContain("<b ");
    expect(html).toContain('<div class="gp-fs-line gp-fs-active">');
    expect(html).toContain('aria-hidden="true"');
  });

  it("draws text with $ patterns and any emoji as it is", () => {
    const page =
      '<div id="before"></div><div id="editor"><!--gigapad:first-screen--></div><div id="after"></div>';
    const text = "echo $'\\n' $` $& $$ 💩 💀 😀";
    const html = withFirstScreen(page, {
      window: windowOf([text], []),
      info: { length: 40, lineCount: 1 } as never,
    });
    expect(html.match(/id="before"/g)).toHaveLength(1);
    expect(html.match(/id="after"/g)).toHaveLength(1);
    expect(drawn(html).lines).toEqual([text]);
  });

  it("shows invalid bytes as \\xNN and control characters as the editor does, and marks segments", () => {
    const html = firstScreenHtml(windowOf(["a\udcffb\u0000c\rd\u200be", "segment", "more"], [0, 1]), {
      length: 40,
      lineCount: 2,
    });
    expect(html).toContain('<span class="cm-gp-byte">\\xFF</span>');
    expect(drawn(html).lines[0]).toBe("a\\xFFb\\0c\\rd\\u200Be");
    // The second window line continues the first line: no number of its own.
    expect(drawn(html).numbers).toEqual(["1", "⋯", "2"]);
  });

  it("draws no more than a tall screen shows, and clips long lines without splitting a character", () => {
    const long = `${"x".repeat(FIRST_SCREEN_COLUMNS - 1)}😀tail`;
    const lines = [long, ...Array.from({ length: FIRST_SCREEN_LINES + 50 }, (_, i) => `line ${i}`)];
    const html = firstScreenHtml(
      windowOf(
        lines,
        lines.slice(1).map(() => 1),
        false,
      ),
      {
        length: 10_000_000,
        lineCount: null,
      },
    );
    const shown = drawn(html);
    expect(shown.lines).toHaveLength(FIRST_SCREEN_LINES);
    expect(shown.lines[0]).toBe("x".repeat(FIRST_SCREEN_COLUMNS - 1));
    expect(shown.numbers.at(-1)).toBe(String(FIRST_SCREEN_LINES));
    // Lines not counted yet: the gutter is sized for an estimate from the window's density.
    expect(Number(shown.spacer)).toBeGreaterThan(10_000);
  });

  it("draws nothing for a window that does not start the document, and fills the page's placeholder", () => {
    const window = { ...windowOf(["a"], []), atStart: false, start: 10, firstLine: 3 };
    expect(firstScreenHtml(window, { length: 11, lineCount: 4 })).toBe("");
    const page = '<div id="editor"><!--gigapad:first-screen--></div>';
    expect(withFirstScreen(page, null)).toBe('<div id="editor"></div>');
    expect(
      withFirstScreen(page, { window: windowOf(["hi"], []), info: { length: 2, lineCount: 1 } as never }),
    ).toContain("gp-first-screen");
  });
});
