import type { OptimizerFactory } from '../types.js';
import { createEnhancedSgd } from './optimizer.js';
import { enhancedSgdSchema } from './params.js';

export { MODE_DEFAULTS, MODES, SWITCHES } from './params.js';

/** EnhancedSGD: SGD steered by a Q-learning controller (modes intended, as-written, seed, off). */
export const enhancedSgd: OptimizerFactory<typeof enhancedSgdSchema> = {
  name: 'enhanced-sgd',
  description: 'EnhancedSGD (Q-learning-steered SGD); controller=intended|as-written|seed|off',
  schema: enhancedSgdSchema,
  create: (hp, seed) => createEnhancedSgd(hp, seed),
};
