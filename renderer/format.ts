/** Counts as the status bar shows them ("1,396,109"); sizes come from presentation/format-bytes. */

const grouped = new Intl.NumberFormat("en-US");

export function formatCount(value: number): string {
  return grouped.format(value);
}
