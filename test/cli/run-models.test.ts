import { describe, expect, it } from 'vitest';
import { modelsChange, recordedModels, sortedModels } from '../../src/cli/run-models.js';

describe('the models of a run, as a set', () => {
  it('records them sorted and distinct', () => {
    expect(sortedModels(['mb', 'ma', 'mb'])).toEqual(['ma', 'mb']);
  });

  it('reads the list from metadata, and none from metadata written before it', () => {
    expect(recordedModels({ model: 'ma', models: ['ma', 'mb'] })).toEqual(['ma', 'mb']);
    expect(recordedModels({ model: 'ma' })).toBeUndefined();
    expect(recordedModels({ models: 'ma' })).toBeUndefined();
  });

  it.each([
    [['mb', 'ma'], undefined],
    [['mb'], undefined],
    [['ma', 'mc'], undefined],
    [['mc'], `model: "mc" was not one of the run's models ("ma", "mb")`],
    [['mc', 'md'], `model: "mc", "md" were not among the run's models ("ma", "mb")`],
  ])('-m %j on a run of ma, mb: %s', (models, change) => {
    expect(modelsChange(['ma', 'mb'], models)).toBe(change);
  });
});
