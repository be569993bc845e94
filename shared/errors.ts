/**
 * Typed errors that carry what went wrong and where, so callers (CLI, worker, orchestrator) branch
 * on the class and print a one-line message instead of a stack trace.
 */
export class GrnError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad flag, spec field or hyper-parameter: the user must change their input (exit code 2). */
export class UsageError extends GrnError {
  override readonly exitCode = 2;
}

/** A data file that is missing, truncated, or not what its name says. */
export class DataFileError extends GrnError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A backend that cannot run here, with the reason and what to do about it. */
export class BackendUnavailableError extends GrnError {}

/** Training produced a non-finite loss; the trial result records where. */
export class DivergenceError extends GrnError {}
