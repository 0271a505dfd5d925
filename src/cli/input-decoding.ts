import { firstLineMaxFor, type InputEncoding } from '../input/decode-input.js';
import type { CliConfig } from './config.js';

/**
 * How the run's input is decoded wherever it is read (the run, its fingerprint, a stdin file's
 * check): its --encoding, and the first line's cap of its format (see decodeInput).
 */
export const inputDecoding = (config: CliConfig): { encoding: InputEncoding | undefined; firstLineMax: number | undefined } => ({
  encoding: config.data.encoding,
  firstLineMax: firstLineMaxFor(config.inputFormat),
});
