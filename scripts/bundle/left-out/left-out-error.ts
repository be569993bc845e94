import { GrnError } from '../../../shared/errors.js';

/**
 * A command (or the part of one) that the worker bundle leaves out to stay small, run from the
 * bundle: says what is missing and where it does run, instead of a "Cannot find module".
 */
export class LeftOutOfBundleError extends GrnError {
  constructor(what: string, instead: string) {
    super(`${what} is not in the grn worker bundle, which leaves it out to stay small: ${instead}`);
  }
}
