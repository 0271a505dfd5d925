import { describe, expect, it } from 'vitest';
import { addedModels, addedModelsNote, modelsChange, recordedModels, sortedModels } from '../../src/cli/run-models.js';

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

  it.each([
    [['mb', 'ma'], []],
    [['mb'], []],
    [['ma', 'mc', 'mc'], ['mc']],
    [
      ['md', 'ma', 'mc'],
      ['md', 'mc'],
    ],
  ])('-m %j on a run of ma, mb adds %j', (models, added) => {
    expect(addedModels(['ma', 'mb'], models)).toEqual(added);
  });

  it('says what an added model costs, in one line', () => {
    expect(addedModelsNote(['mc'], ['ma', 'mb'])).toBe(`--resume adds model "mc" to the run's "ma", "mb": every prompt is asked of it too`);
    expect(addedModelsNote(['md', 'mc'], ['ma'])).toBe(`--resume adds models "md", "mc" to the run's "ma": every prompt is asked of them too`);
  });
});
