import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

/** A field of the spec as a path of keys and list indices (what zod reports). */
export type FieldPath = readonly PropertyKey[];

/**
 * Maps a field path to a line and column of the YAML source, so a problem points at the exact
 * item (`grid.optimizer[2]` in a flow list included). `at: 'key'` points at a mapping key (for
 * unknown or misplaced keys) instead of its value. A path that does not exist in the file (a
 * missing key) falls back to the nearest existing parent: the key that opens it, else its node.
 */
export function locate(doc: Document, lineCounter: LineCounter, path: FieldPath, at: 'value' | 'key' = 'value'): { line: number; col: number } {
  let node: unknown = doc.contents;
  let via: Pair | undefined; // the pair whose value is `node`
  let depth = 0;
  for (const segment of path) {
    let next: unknown;
    let pair: Pair | undefined;
    if (isMap(node)) {
      pair = node.items.find((p) => keyText(p.key) === String(segment));
      next = pair?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined && pair === undefined) break;
    node = next;
    via = pair;
    depth++;
    if (next === null || next === undefined) break; // `key:` with no value: stay on the key
  }
  const complete = depth === path.length;
  let offset: number | undefined;
  if (at === 'key' && complete && via) offset = rangeStart(via.key);
  // A missing field, or a value left empty (`train:` alone): point at the key that holds it.
  if (offset === undefined && (!complete || isEmpty(node)) && via) offset = rangeStart(via.key);
  offset ??= rangeStart(node) ?? rangeStart(doc.contents) ?? 0;
  return lineCounter.linePos(offset);
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (isAlias(key)) return `*${key.source}`;
  return String(key);
}

/** No node, or one the parser made for an empty value (zero-length source). */
function isEmpty(node: unknown): boolean {
  const range = (node as Node | null | undefined)?.range;
  return !Array.isArray(range) || range[0] === range[1];
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

/** `grid.optimizer[2]`, `params.enhanced-sgd.controller[1]`, `target["my set"]`; the root is `(top level)`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(segment))) out += out === '' ? String(segment) : `.${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** The value at a path of plain data (what the YAML parsed to), or undefined. */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let v = data;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[segment as string];
  }
  return v;
}

/** A value as a problem message shows it: `'adma'`, `1.5`, `null`, `a list`, `a mapping`, `Infinity (… too large …)`. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  // `1e400` parses as Infinity: say why the user sees a value they did not write.
  if (v === Infinity || v === -Infinity) return `${String(v)} (.inf, or a number too large to represent)`;
  return String(v);
}
