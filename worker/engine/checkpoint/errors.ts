import { GrnError } from '../../../shared/errors.js';

/**
 * Why a checkpoint cannot be resumed from. Callers branch on `reason`: a `foreign-trial` or
 * `incompatible` checkpoint is a bookkeeping mistake (wrong key in the store); the others mean the
 * bytes are damaged, and starting the trial afresh is the way on.
 */
export type CheckpointProblem = 'not-a-checkpoint' | 'unsupported-format' | 'truncated' | 'corrupt' | 'foreign-trial' | 'incompatible';

export class CheckpointError extends GrnError {
  constructor(
    readonly reason: CheckpointProblem,
    detail: string,
  ) {
    super(`checkpoint ${reason}: ${detail}`);
  }
}
