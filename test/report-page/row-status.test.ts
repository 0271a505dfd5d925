import { describe, expect, it } from 'vitest';
import { rowStatus } from '../../src/report-page/row-status.js';

describe('a row’s status keeps every fact', () => {
  it.each([
    // error, finish reason, cached → label, badge, row classes
    ['', 'stop', false, 'ok', 'ok', ''],
    ['', 'stop', true, 'ok (cache)', 'ok', 'cached'],
    ['', 'length', false, 'ok (truncated)', 'warn', 'truncated'],
    ['', 'length', true, 'ok (cache, truncated)', 'warn', 'truncated cached'],
    // Mistral's: the model's context filled.
    ['', 'model_length', false, 'ok (truncated)', 'warn', 'truncated'],
    ['truncated', 'model_length', false, 'truncated', 'bad', 'failed truncated'],
    ['server_error', '', false, 'server_error', 'bad', 'failed'],
    // --fail-truncated: the type says it already.
    ['truncated', 'length', false, 'truncated', 'bad', 'failed truncated'],
    // A schema answer cut short: invalid, and why.
    ['invalid_output', 'length', false, 'invalid_output (truncated)', 'bad', 'failed truncated'],
    ['invalid_output', 'stop', false, 'invalid_output', 'bad', 'failed'],
  ])('error %j, finish %j, cached %j → %s', (error, finish, cached, label, badge, classes) => {
    expect(rowStatus(error, finish, cached)).toEqual({ label, badge, classes });
  });
});
