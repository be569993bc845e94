import { UsageError } from '../errors.js';

/** One problem in a spec file: where (1-based line and column, when known), which field, what. */
export interface SpecProblem {
  line?: number;
  col?: number;
  /** The field, e.g. `grid.optimizer[2]`; absent for problems with the file as a whole. */
  path?: string;
  message: string;
}

export function formatProblem(file: string, p: SpecProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  return p.path === undefined ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/**
 * A sweep spec the user must fix (exit code 2). Every problem found is reported, one per line in
 * `file:line:col: field: problem` form so editors and terminals can jump to it.
 */
export class SpecError extends UsageError {
  constructor(
    readonly file: string,
    readonly problems: readonly SpecProblem[],
  ) {
    const lines = problems.map((p) => formatProblem(file, p));
    super(lines.length === 1 ? lines[0]! : [`${file}: ${lines.length} problems`, ...lines.map((l) => `  ${l}`)].join('\n'));
  }
}
