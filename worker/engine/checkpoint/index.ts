export { checkpointer, type CheckpointSink } from './checkpointer.js';
export { captureCheckpoint, checkpointInfo, restoreCheckpoint, type CheckpointAt, type TrainingParts } from './engine-state.js';
export { CheckpointError, type CheckpointProblem } from './errors.js';
export { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from './format.js';
export { checkIdentity, identityHash, trialIdentity, type TrialIdentity } from './identity.js';
