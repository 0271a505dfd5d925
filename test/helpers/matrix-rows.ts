import fs from 'node:fs';
import { parseJsonl } from './run-cli.js';

/** A result row as the several-models tests read it: the model it asked and its sample. */
export interface MatrixRow {
  id: string;
  prompt: string;
  error: { type: string } | null;
  model: string | null;
  requested_model?: string;
  sample?: number;
  cached?: true;
}

export const matrixRowsOf = (file: string): MatrixRow[] => parseJsonl<MatrixRow>(fs.readFileSync(file, 'utf8'));
