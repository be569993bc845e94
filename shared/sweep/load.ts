import { readFile } from 'node:fs/promises';
import { isMap, isPair, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { semanticFindings, type Finding } from './checks.js';
import { SpecError, type SpecProblem } from './errors.js';
import { formatPath, locate, showValue, valueAt, type FieldPath } from './locate.js';
import { AblateSchema, GridSchema, SweepSpecSchema, TrainOverrideSchema, TrainSchema, type KnownNames, type SweepSpec } from './spec.js';
import { closest } from './suggest.js';
import { TuneLrSchema, TuneSchema } from './tuning/spec.js';

/** Reads and validates a sweep spec file; a missing or unreadable file is a SpecError naming it. */
export async function loadSweepSpec(path: string, known: KnownNames): Promise<SweepSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a spec file' : (err as Error).message;
    throw new SpecError(path, [{ message: `cannot read the sweep spec: ${why}` }]);
  }
  return parseSweepSpec(text, path, known);
}

/**
 * Parses and validates a sweep spec. Every problem is reported at once, each with the line and
 * column of the offending node in `file` (the name used in messages only) and its field path.
 */
export function parseSweepSpec(text: string, file: string, known: KnownNames): SweepSpec {
  const lineCounter = new LineCounter();
  // prettyErrors off: we print file:line:col ourselves, without yaml's multi-line source excerpt.
  // logLevel 'error': yaml's warnings (a mapping used as a key) go to process warnings; the checks below report them.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    // Deep nesting overflows the parser's stack at every level: one problem, at the first.
    const overflow = doc.errors.find((e) => isStackOverflow(e.message));
    const errors = overflow ? [overflow] : doc.errors;
    throw new SpecError(file, errors.map((e) => ({ ...lineCounter.linePos(e.pos[0]), message: `YAML: ${yamlMessage(e)}` })));
  }
  const deep = tooDeep(doc.contents);
  if (deep !== undefined) throw new SpecError(file, [{ ...lineCounter.linePos(deep), message: `YAML: ${TOO_DEEP}` }]);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = (err as Error).message;
    throw new SpecError(file, [{ message: `YAML: ${isStackOverflow(message) ? TOO_DEEP : message}` }]);
  }
  if (raw === null || raw === undefined) throw new SpecError(file, [{ line: 1, col: 1, message: 'the spec is empty; expected a mapping with at least name and grid' }]);
  const parsed = SweepSpecSchema.safeParse(raw);
  const findings = [...(parsed.success ? [] : issueFindings(parsed.error.issues, [], raw)), ...semanticFindings(raw, known)];
  // `__proto__` as a key: a validated copy drops it without a word (it sets the copy's prototype).
  const reported = new Set(findings.map((f) => formatPath(f.path)));
  for (const path of protoKeys(raw)) if (!reported.has(formatPath(path))) findings.push({ path, at: 'key', message: "'__proto__' cannot be a key of a sweep spec" });
  if (parsed.success && findings.length === 0) return parsed.data;

  const problems: SpecProblem[] = findings.map((f) => ({ ...locate(doc, lineCounter, f.path, f.at), path: formatPath(f.path), message: f.message }));
  problems.sort((a, b) => a.line! - b.line! || a.col! - b.col!);
  throw new SpecError(file, problems);
}

/** Keys each mapping of the spec allows, for "unknown key … (did you mean …?)". */
const ALLOWED_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ['', Object.keys(SweepSpecSchema.shape)],
  ['grid', Object.keys(GridSchema.shape)],
  ['train', Object.keys(TrainSchema.shape)],
  ['tune', Object.keys(TuneSchema.shape)],
  ['tune.lr', Object.keys(TuneLrSchema.shape)],
  ['ablate', Object.keys(AblateSchema.shape)],
]);

/** Zod issues as findings: one per unknown key, union failures narrowed to the branch that fits. */
function issueFindings(issues: readonly z.core.$ZodIssue[], base: FieldPath, raw: unknown): Finding[] {
  const findings: Finding[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      // A data set's overrides: the list always, since which keys can differ by data set is not obvious.
      const override = path.length === 2 && path[0] === 'train_overrides';
      const allowed = override ? Object.keys(TrainOverrideSchema.shape) : (ALLOWED_KEYS.get(path.join('.')) ?? []);
      for (const key of issue.keys) {
        const guess = closest(key, allowed);
        const list = allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '';
        const hint = guess ? ` (did you mean '${guess}'?)${override ? list : ''}` : list;
        findings.push({ path: [...path, key], at: 'key', message: `unknown key '${key}'${hint}` });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // A list where a list fits fails only inside it: report those item problems, not "invalid input".
      const inner = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (inner) {
        findings.push(...issueFindings(inner, path, raw));
        continue;
      }
    }
    const value = valueAt(raw, path);
    let message = value === undefined ? `missing: ${issue.message}` : `${issue.message}, got ${showValue(value)}`;
    // `params:` with every entry commented out parses as null: say what to do about it.
    if (value === null && path.length === 1 && issue.code === 'invalid_type') message += ' (an empty section: give it entries or remove the key)';
    findings.push({ path, message });
  }
  return findings;
}

/** Paths of every own `__proto__` key in plain data (iterative). */
function protoKeys(raw: unknown): FieldPath[] {
  const found: FieldPath[] = [];
  const stack: Array<{ v: unknown; path: FieldPath }> = [{ v: raw, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    for (const key of Object.keys(v)) {
      const at = [...path, Array.isArray(v) ? Number(key) : key];
      if (key === '__proto__') found.push(at);
      else stack.push({ v: (v as Record<string, unknown>)[key], path: at });
    }
  }
  return found;
}

/** Lists and mappings nested deeper than this are no sweep spec (one needs about 6 levels). */
export const MAX_SPEC_DEPTH = 64;
const TOO_DEEP = `lists and mappings nested more than ${MAX_SPEC_DEPTH} levels deep; a sweep spec needs a few (is this the right file?)`;

function isStackOverflow(message: string): boolean {
  return message.includes('Maximum call stack size exceeded');
}

/** Where the first collection nested deeper than MAX_SPEC_DEPTH starts (a source offset), if any; iterative. */
function tooDeep(root: unknown): number | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isPair(node)) {
      stack.push({ node: node.key, depth }, { node: node.value, depth });
    } else if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_SPEC_DEPTH) return node.range?.[0] ?? 0;
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The yaml library's message, except where it speaks to programmers rather than to the spec's author. */
function yamlMessage(e: { code: string; message: string }): string {
  if (isStackOverflow(e.message)) return TOO_DEEP;
  if (e.code === 'MULTIPLE_DOCS') return "the file holds more than one YAML document (a '---' line starts another); a sweep spec is one document: remove the separator, or split the file";
  return e.message;
}
