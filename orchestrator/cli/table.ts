/**
 * Plain-text tables for the CLI. Widths are found with a loop: spreading a column into Math.max
 * overflows the call stack at some 100,000 rows.
 */

/** The longest of some strings (at least `least`). */
export function widest(texts: Iterable<string>, least = 0): number {
  let width = least;
  for (const t of texts) if (t.length > width) width = t.length;
  return width;
}

/** Rows as aligned columns, the header first; `right` lists the right-aligned columns. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, col) => widest(rows.map((r) => r[col]!), h.length));
  const line = (cols: readonly string[]) =>
    cols
      .map((text, col) => (right.has(col) ? text.padStart(widths[col]!) : text.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
