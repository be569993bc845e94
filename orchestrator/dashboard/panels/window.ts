/**
 * The slice of a long list that is drawn: `visible` items around `selected` (kept near the
 * middle), so a 10,000-line list costs as much to render as the lines on screen.
 */
export function windowAround(total: number, selected: number, visible: number): { start: number; end: number } {
  if (visible <= 0 || total <= 0) return { start: 0, end: 0 };
  if (total <= visible) return { start: 0, end: total };
  const start = Math.max(0, Math.min(selected - Math.floor(visible / 2), total - visible));
  return { start, end: start + visible };
}
