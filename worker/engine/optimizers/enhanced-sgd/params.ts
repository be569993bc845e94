import { z } from 'zod';
import { UsageError } from '../../../../shared/errors.js';

/**
 * EnhancedSGD's hyper-parameters: every constant of ../shared/spec/enhanced-sgd.md (spec values
 * as defaults), the mode, and one switch per component and per correction. A switch left unset
 * takes its mode's default (MODE_DEFAULTS); set explicitly, it wins, so a sweep can ablate any
 * single piece.
 */
export const MODES = ['intended', 'as-written', 'seed', 'off'] as const;
export type Mode = (typeof MODES)[number];

const flag = z.boolean().optional();

export const enhancedSgdSchema = z
  .object({
    controller: z.enum(MODES).default('intended'),
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).lt(1).default(0.9),
    smoothing_factor: z.number().min(0).max(1).default(0.1),
    // The original uses stabilizing_factor twice: as the |Δ| threshold and as the mix weight.
    stabilizing_factor: z.number().min(0).max(1).default(0.9),
    /** The |grad_var − prev| threshold of the stabilisation; unset = stabilizing_factor, as in the original. */
    stabilizing_threshold: z.number().min(0).optional(),
    noise_scale: z.number().min(0).default(1e-4),
    entropy_weight: z.number().min(0).default(0.1),
    loss_correction_factor: z.number().positive().default(0.5),
    spike_momentum_factor: z.number().positive().default(0.9),
    phased_threshold_multiplier: z.number().positive().default(1.5),
    loss_history_size: z.number().int().positive().default(100),
    gradient_buffer_size: z.number().int().positive().default(100),
    retention_threshold: z.number().default(0.5),
    clip_multiplier: z.number().positive().default(2),
    clip_min: z.number().positive().default(0.5),
    clip_max: z.number().positive().default(10),
    lr_scale_min: z.number().positive().default(0.5),
    lr_scale_max: z.number().positive().default(1.5),
    momentum_min: z.number().min(0).lt(1).default(0.85),
    momentum_max: z.number().min(0).lt(1).default(0.99),
    phase_epochs: z.number().positive().default(20),
    phase_floor: z.number().positive().default(0.5),
    /**
     * Added to the loop's 0-based epoch for the phase decay and the state. 1 by default: the
     * original's loop counts epochs from 1 (`for epoch in range(1, num_epochs + 1)`), so its first
     * epoch already has d = 0.95 (momentum cap 0.9405); 0 gives d = 1 in the first epoch.
     */
    epoch_offset: z.number().int().min(0).default(1),
    epsilon: z.number().min(0).max(1).default(0.5),
    epsilon_decay: z.number().min(0).max(1).default(0.995),
    epsilon_min: z.number().min(0).max(1).default(0.01),
    mix_prob: z.number().min(0).max(1).default(0.8),
    mix_prob_min: z.number().min(0).max(1).default(0.1),
    // update_mix_prob(decay_factor=0.98, loss_threshold=0.01); growth = 1 + 0.05·decay_factor.
    mix_prob_decay: z.number().min(0).max(1).default(0.98),
    mix_prob_growth: z.number().min(1).default(1.049),
    mix_prob_loss_threshold: z.number().min(0).default(0.01),
    q_alpha: z.number().min(0).max(1).default(0.1),
    q_gamma: z.number().min(0).max(1).default(0.9),
    mult_down: z.number().positive().default(0.95),
    mult_up: z.number().positive().default(1.05),
    add_step: z.number().min(0).default(0.005),
    bayesian_std: z.number().min(0).default(0.05),
    noise_source: z.enum(['pool', 'exact']).default('pool'),
    /** Values in the device noise pool (noise_source 'pool'); at least the largest tensor is used. */
    noise_pool_size: z.number().int().positive().default(1 << 22),
    // Components.
    pass_loss: flag,
    spike_correction: flag,
    q_controller: flag,
    adaptive_momentum: flag,
    centering: flag,
    clipping: flag,
    noise: flag,
    retention: flag,
    mix_prob_update: flag,
    bayesian_init: flag,
    // Corrections of the original's quirks.
    fixed_base_lr: flag,
    fixed_base_momentum: flag,
    exploit_as_own_kind: flag,
    probability_entropy: flag,
    deferred_reward: flag,
    spike_lr_kept: flag,
  })
  .strict();

export type EnhancedSgdInput = z.infer<typeof enhancedSgdSchema>;

/** The components: pieces of the algorithm, each switched on or off. */
export const COMPONENTS = [
  'pass_loss', 'spike_correction', 'q_controller', 'adaptive_momentum', 'centering', 'clipping', 'noise', 'retention',
  'mix_prob_update', 'bayesian_init',
] as const;
/** The corrections of the original's quirks: on = corrected, off = as written. */
export const CORRECTIONS = ['fixed_base_lr', 'fixed_base_momentum', 'exploit_as_own_kind', 'probability_entropy', 'deferred_reward', 'spike_lr_kept'] as const;
/**
 * The corrections the spec itself names for `intended` (../shared/spec/enhanced-sgd.md, "What this
 * means for us"); the others are ours, beyond the spec, and reports label them so.
 */
export const SPEC_CORRECTIONS: ReadonlySet<Switch> = new Set(['fixed_base_lr', 'exploit_as_own_kind', 'probability_entropy']);
export const SWITCHES = [...COMPONENTS, ...CORRECTIONS] as const;
export type Switch = (typeof SWITCHES)[number];

const T = true;
const F = false;
/**
 * Defaults per mode. `seed` is what the original's loop ran (no loss passed, so no spike
 * correction, no controller, no momentum adaptation). `as-written` passes the loss and keeps every
 * quirk. `intended` passes the loss and corrects them: fixed base lr and momentum (no
 * compounding), exploited actions applied as their own kind, entropy of a probability histogram,
 * the reward credited to the action that caused it (one step later, with the true next state), and
 * a loss spike's lr × 0.5 kept when the controller then sets the lr (as written, the controller
 * recomputes the lr from the step's starting base lr, so a spike only ever damps the momentum).
 * The retention buffer, update_mix_prob and bayesian_initialize_params were never used by the
 * original's loop: off unless asked for.
 */
export const MODE_DEFAULTS: Record<Mode, Record<Switch, boolean>> = {
  intended: { pass_loss: T, spike_correction: T, q_controller: T, adaptive_momentum: T, centering: T, clipping: T, noise: T, retention: F, mix_prob_update: F, bayesian_init: F, fixed_base_lr: T, fixed_base_momentum: T, exploit_as_own_kind: T, probability_entropy: T, deferred_reward: T, spike_lr_kept: T },
  'as-written': { pass_loss: T, spike_correction: T, q_controller: T, adaptive_momentum: T, centering: T, clipping: T, noise: T, retention: F, mix_prob_update: F, bayesian_init: F, fixed_base_lr: F, fixed_base_momentum: F, exploit_as_own_kind: F, probability_entropy: F, deferred_reward: F, spike_lr_kept: F },
  seed: { pass_loss: F, spike_correction: F, q_controller: F, adaptive_momentum: F, centering: T, clipping: T, noise: T, retention: F, mix_prob_update: F, bayesian_init: F, fixed_base_lr: F, fixed_base_momentum: F, exploit_as_own_kind: F, probability_entropy: F, deferred_reward: F, spike_lr_kept: F },
  off: { pass_loss: F, spike_correction: F, q_controller: F, adaptive_momentum: F, centering: F, clipping: F, noise: F, retention: F, mix_prob_update: F, bayesian_init: F, fixed_base_lr: F, fixed_base_momentum: F, exploit_as_own_kind: F, probability_entropy: F, deferred_reward: F, spike_lr_kept: F },
};

export type EnhancedSgdParams = Omit<EnhancedSgdInput, Switch | 'stabilizing_threshold'> & Record<Switch, boolean> & { stabilizing_threshold: number };

/** What cannot run without the loss. */
const NEEDS_LOSS = ['spike_correction', 'q_controller', 'adaptive_momentum', 'mix_prob_update'] as const;

/**
 * Fills every unset switch from the mode (an explicit value wins) and every derived constant.
 * Without the loss nothing that needs it can run: those switches are off, and asking for one
 * explicitly is an error rather than silently ignored.
 */
export function resolveSwitches(input: EnhancedSgdInput): EnhancedSgdParams {
  const defaults = MODE_DEFAULTS[input.controller];
  const out = { ...input } as EnhancedSgdParams;
  for (const s of SWITCHES) out[s] = input[s] ?? defaults[s];
  out.stabilizing_threshold = input.stabilizing_threshold ?? input.stabilizing_factor;
  if (!out.pass_loss) {
    for (const s of NEEDS_LOSS) {
      if (input[s] === true) {
        throw new UsageError(`optimizer 'enhanced-sgd': ${s} needs the loss, which controller '${input.controller}' does not pass (add pass_loss=true)`);
      }
      out[s] = false;
    }
  }
  // The momentum is adapted by the controller's momentum scale: without the controller there is
  // nothing to adapt it with. Asked for explicitly, that is an error; left to the mode, it is off.
  if (!out.q_controller && out.adaptive_momentum) {
    if (input.adaptive_momentum === true) {
      throw new UsageError(`optimizer 'enhanced-sgd': adaptive_momentum needs the controller's momentum scale, and q_controller is off (set q_controller=true, or leave adaptive_momentum unset)`);
    }
    out.adaptive_momentum = false;
  }
  return out;
}
