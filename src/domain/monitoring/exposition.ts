/**
 * Reads Prometheus' text exposition format (what `/metrics` serves) into samples:
 * `name{label="value",...} value [timestamp]`, comments and blank lines skipped, label values
 * unescaped (\\, \", \n). Used by `biilive cost --from-metrics` and the tests.
 */
import type { Sample } from './evaluate.ts';

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;

export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const name = /^\s*,?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(text.slice(i));
    if (!name) {
      if (/^\s*,?\s*$/.test(text.slice(i))) break;
      throw new ExpositionError(`line ${line}: bad label set`);
    }
    i += name[0].length;
    let value = '';
    for (;;) {
      if (i >= text.length) throw new ExpositionError(`line ${line}: unterminated label value`);
      const c = text[i++];
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i++];
        value += next === 'n' ? '\n' : next;
      } else value += c;
    }
    labels[name[1]] = value;
  }
  return labels;
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new ExpositionError(`line ${index + 1}: not a sample: ${line.slice(0, 80)}`);
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') throw new ExpositionError(`line ${index + 1}: bad value ${match[3]}`);
    samples.push({ name: match[1], labels: match[2] ? parseLabels(match[2], index + 1) : {}, value });
  });
  return samples;
}
