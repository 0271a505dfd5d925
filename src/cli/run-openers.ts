/**
 * What a live run opens before it sends (its provider's settings, input, output), in one module that
 * run-command.ts imports once its first checks passed: each module imported on its own would be a
 * chunk of its own in the bundle, and every chunk costs a run ~1 ms of CPU to load.
 */
export { providerSettings } from './create-provider.js';
export { createStats } from '../engine/stats.js';
export { displaysBeforeSending } from './display-mode.js';
export { openRunInput } from './open-run-input.js';
export { openOutputTarget } from './output-target.js';
