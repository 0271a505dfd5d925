import { describe, expect, it } from 'vitest';
import { refuseUnknownCommand } from '../../src/cli/listed-commands.js';
import { memoryIo } from '../helpers/memory-io.js';

describe('refuseUnknownCommand (`llm-batch help NAME` for no command)', () => {
  it.each([
    ['nosuch', ''],
    ['reprot', ' (Did you mean report?)'],
    ['stats', ' (Did you mean status?)'],
  ])('help %s: commander’s line, its hint for a near name, the usage hint; exit 2', (name, hint) => {
    const io = memoryIo();
    expect(refuseUnknownCommand(name, io)).toBe(2);
    expect(io.err()).toBe(`llm-batch: unknown command '${name}'${hint} (run llm-batch --help for usage)\n`);
    expect(io.out()).toBe('');
  });

  it('a key typed as the name is not echoed', () => {
    const io = memoryIo({ OPENAI_API_KEY: 'sk-test-LISTED-0f3a' });
    refuseUnknownCommand('sk-test-LISTED-0f3a', io);
    expect(io.err()).toBe("llm-batch: unknown command '[redacted]' (run llm-batch --help for usage)\n");
  });
});
