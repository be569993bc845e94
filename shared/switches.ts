import type { HyperParameterValue } from './trial.js';

/**
 * What an optimizer's catalog entry states about its switches (EnhancedSGD: one per component and
 * one per correction of the original's quirks), so that a sweep can ablate them one at a time.
 * `shared/` never imports the engine: the engine's catalog implements this
 * (worker/engine/optimizers/catalog.ts) and the planner is handed it.
 */
export interface SwitchCatalog {
  /** The hyper-parameter that picks the mode whose defaults the switches take (EnhancedSGD: controller), and its values. */
  readonly mode: { readonly parameter: string; readonly values: readonly string[] };
  /**
   * Every switch, in the catalog's order: a `component` of the algorithm, or a `correction` of the
   * original's quirks (on: corrected; off: the behaviour as written).
   */
  readonly switches: ReadonlyArray<{ readonly name: string; readonly kind: SwitchKind; /** A correction the reference spec does not name (ours). */ readonly beyondSpec?: boolean }>;
  /**
   * The mode and every switch's value for these hyper-parameters, as the optimizer would run
   * them (unset switches take the mode's defaults). Throws, with a message that says why, when
   * they cannot run (e.g. a switch that needs the loss in a mode that does not pass it).
   */
  resolve(hyperparameters: Readonly<Record<string, HyperParameterValue>>): { mode: string; switches: Record<string, boolean> };
}

export type SwitchKind = 'component' | 'correction';
