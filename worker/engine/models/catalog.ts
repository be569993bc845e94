import type { TaskName } from '../datasets/data.js';
import { Registry } from '../registry.js';
import type { ModelFactory } from './types.js';

/** A model as the catalog knows it: what it is for, and where its implementation is. */
export interface ModelMeta {
  readonly name: string;
  readonly description: string;
  /** The task whose data sets it trains on; a spec pairing it with another task's data is refused. */
  readonly task: TaskName;
  readonly load: () => Promise<ModelFactory>;
}

/** Every model. Adding one is one file in this folder and one entry here. */
export const MODELS = new Registry<ModelMeta>('model', [
  {
    name: 'simple-cnn',
    description: "SimpleCNN of the original: 2 conv (32, 64) + max-pool, dense 128, dense classes (545,098 parameters on 32x32x3)",
    task: 'image-classification',
    load: () => import('./simple-cnn.js').then((m) => m.simpleCnn),
  },
  {
    name: 'mlp',
    description: 'flatten, dense 64, ReLU, dense classes (tests and quick checks)',
    task: 'image-classification',
    load: () => import('./mlp.js').then((m) => m.mlp),
  },
  {
    name: 'unet',
    description: 'a small U-Net: 3 levels of 2 conv 3x3 + ReLU (16, 32, 64), bilinear up, skips, 1x1 to classes (trains on CPU)',
    task: 'segmentation',
    load: () => import('./unet.js').then((m) => m.unet),
  },
  {
    name: 'fcn-resnet50',
    description: "torchvision's fcn_resnet50 from scratch, the original's model: dilated ResNet-50 + FCNHead, batch norm with running statistics (32,957,013 parameters for 21 classes)",
    task: 'segmentation',
    load: () => import('./fcn-resnet50.js').then((m) => m.fcnResnet50),
  },
]);
