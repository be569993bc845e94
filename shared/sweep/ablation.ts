import type { SwitchCatalog, SwitchKind } from '../switches.js';
import type { HyperParameterValue } from '../trial.js';
import type { AblateSpec } from './spec.js';
import { closest } from './suggest.js';

/**
 * A one-component-off ablation: the base configuration of an optimizer with switches, plus one
 * variant per switch with that switch flipped from the base's value — a component that is on in
 * the base is switched off (one that is off, on); a correction of the original's quirks is set
 * back to the behaviour as written. The switches, their kinds and what the base can flip come
 * from the optimizer's catalog (shared/switches.ts), never from a list kept here.
 */

/** Which switch of which base a cell flips: carried by the planned cell, manifest.json and the report. */
export interface CellAblation {
  /** The base configuration's label, e.g. `enhanced-sgd[intended]`: what the cell is compared with. */
  readonly base: string;
  /** The switch the cell flips; null for the base itself. */
  readonly component: string | null;
  readonly kind?: SwitchKind;
  /** The switch's value in this cell (the base runs the other). */
  readonly value?: boolean;
}

export interface AblationVariant {
  /** `enhanced-sgd[intended]`, `enhanced-sgd[intended −centering]`, `enhanced-sgd[intended +retention]`. */
  readonly label: string;
  /** The base's hyper-parameters, plus the flipped switch. */
  readonly hyperparameters: Record<string, HyperParameterValue>;
  /** Its part of the cell id: `intended_base`, `intended_minus_centering`, `intended_plus_retention`. */
  readonly idPart: string;
  readonly ablation: CellAblation;
}

/** Where in the `ablate:` block a problem is: the optimizer, the base, or the i-th listed component. */
export type AblationProblemAt = 'optimizer' | 'base' | number;

export interface AblationPlan {
  readonly optimizer: string;
  /** The base's label. */
  readonly base: string;
  /** The base first, then one variant per flipped switch in the catalog's (or the list's) order. */
  readonly variants: readonly AblationVariant[];
  /** Switches `components: all` leaves out because the base cannot flip them, each with why. */
  readonly skipped: ReadonlyArray<{ readonly component: string; readonly reason: string }>;
  /** Why the block cannot be planned (an unknown or unflippable component asked for by name, …); empty when it can. */
  readonly problems: ReadonlyArray<{ readonly at: AblationProblemAt; readonly message: string }>;
}

/** U+2212: a switch turned off; `+` one turned on. */
export const OFF_SIGN = '−';

const text = (v: HyperParameterValue) => String(v);
const slug = (s: string) => s.replace(/\./g, 'p').replace(/[^A-Za-z0-9-]/g, '_');

/**
 * The ablation's variants from the catalog's switches. `switches` undefined: the optimizer has
 * none (a problem at 'optimizer'). A base the optimizer refuses is a problem at 'base'.
 */
export function planAblation(block: AblateSpec, switches: SwitchCatalog | undefined, optimizersWithSwitches: readonly string[] = []): AblationPlan {
  const empty = { optimizer: block.optimizer, base: block.optimizer, variants: [], skipped: [] };
  if (!switches) {
    const which = optimizersWithSwitches.length ? `; those that have: ${optimizersWithSwitches.join(', ')}` : '';
    return { ...empty, problems: [{ at: 'optimizer', message: `optimizer '${block.optimizer}' has no switches to ablate${which}` }] };
  }
  let base: ReturnType<SwitchCatalog['resolve']>;
  try {
    base = switches.resolve(block.base);
  } catch (err) {
    return { ...empty, problems: [{ at: 'base', message: `optimizer '${block.optimizer}': ${(err as Error).message}` }] };
  }
  const others = Object.entries(block.base).filter(([k]) => k !== switches.mode.parameter);
  const baseTag = [base.mode, ...others.map(([k, v]) => `${k}=${text(v)}`)].join(' ');
  const baseSlug = slug([base.mode, ...others.map(([k, v]) => `${k}${text(v)}`)].join('_'));
  const label = (tag: string) => `${block.optimizer}[${tag}]`;
  const baseLabel = label(baseTag);
  const variants: AblationVariant[] = [{ label: baseLabel, hyperparameters: { ...block.base }, idPart: `${baseSlug}_base`, ablation: { base: baseLabel, component: null } }];
  const skipped: Array<{ component: string; reason: string }> = [];
  const problems: Array<{ at: AblationProblemAt; message: string }> = [];

  /** The variant with `name` flipped, or why the base cannot flip it. */
  const flip = (name: string, kind: SwitchKind): AblationVariant | string => {
    const value = !base.switches[name];
    const hyperparameters = { ...block.base, [name]: value };
    try {
      if (switches.resolve(hyperparameters).switches[name] !== value) return `${name} stays ${String(!value)} in this base`;
    } catch (err) {
      return (err as Error).message;
    }
    const sign = value ? '+' : OFF_SIGN;
    return {
      label: label(`${baseTag} ${sign}${name}`),
      hyperparameters,
      idPart: `${baseSlug}_${value ? 'plus' : 'minus'}_${slug(name)}`,
      ablation: { base: baseLabel, component: name, kind, value },
    };
  };

  const names = switches.switches.map((s) => s.name);
  if (block.components === 'all') {
    for (const s of switches.switches) {
      const v = flip(s.name, s.kind);
      if (typeof v === 'string') skipped.push({ component: s.name, reason: v });
      else variants.push(v);
    }
    if (variants.length === 1) problems.push({ at: 'base', message: `no switch of '${block.optimizer}' can be flipped in the base ${baseLabel}` });
  } else {
    const seen = new Map<string, number>();
    block.components.forEach((name, i) => {
      const kind = switches.switches.find((s) => s.name === name)?.kind;
      if (kind === undefined) {
        const guess = closest(name, names);
        problems.push({ at: i, message: `unknown switch '${name}' of '${block.optimizer}'${guess ? ` (did you mean '${guess}'?)` : ''}; its switches: ${names.join(', ')}` });
        return;
      }
      if (seen.has(name)) {
        problems.push({ at: i, message: `duplicate switch '${name}' (also at [${seen.get(name)}])` });
        return;
      }
      seen.set(name, i);
      const v = flip(name, kind);
      if (typeof v === 'string') problems.push({ at: i, message: `'${name}' cannot be flipped in the base ${baseLabel}: ${v}` });
      else variants.push(v);
    });
  }
  return { optimizer: block.optimizer, base: baseLabel, variants, skipped, problems };
}

/** `skipped 'q_controller' (it needs the loss, …)` lines for plans and the report. */
export function skippedNotes(plan: Pick<AblationPlan, 'skipped' | 'base'>): string[] {
  return plan.skipped.map((s) => `ablate: '${s.component}' skipped, it cannot be flipped in the base ${plan.base}: ${s.reason}`);
}
