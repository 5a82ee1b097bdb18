/**
 * Progress of a long command on stderr: a cli-progress bar per phase when stderr is a terminal,
 * plain lines otherwise (`<label>: <phase> <done>[/<total>] <unit>`: each phase's first report,
 * then at most one a second, and its last one), so logs and CI output stay readable.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressReporter {
  /** `done` so far in `phase` (of `total` when known), counted in `unit`. */
  report(phase: string, done: number, total: number | undefined, unit: string): void;
  /** Ends the display; every phase shows its last count. */
  stop(): void;
}

interface Report {
  phase: string;
  done: number;
  total?: number;
  unit: string;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force plain lines (or bars); default: bars on a terminal. */
  plain?: boolean;
  /** Lines at most this often per phase in plain mode, ms. */
  intervalMs?: number;
}

export function progressReporter(label: string, options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain ?? !stream.isTTY;
  return plain ? plainReporter(label, stream, options.intervalMs ?? 1000) : barReporter(label, stream);
}

/** A reporter that says nothing (`--quiet`). */
export const silentProgress: ProgressReporter = { report() {}, stop() {} };

function plainReporter(label: string, stream: NodeJS.WritableStream, intervalMs: number): ProgressReporter {
  let printed: Report | undefined;
  let latest: Report | undefined;
  let at = 0;
  const print = (r: Report) => {
    printed = r;
    at = Date.now();
    stream.write(`${label}: ${r.phase} ${r.total === undefined ? r.done : `${r.done}/${r.total}`} ${r.unit}\n`);
  };
  const flush = () => {
    if (latest && latest !== printed) print(latest);
  };
  return {
    report(phase, done, total, unit) {
      if (latest && latest.phase !== phase) flush();
      latest = { phase, done, total, unit };
      if (printed?.phase !== phase || Date.now() - at >= intervalMs) print(latest);
    },
    stop: flush,
  };
}

function barReporter(label: string, stream: NodeJS.WritableStream): ProgressReporter {
  let bar: SingleBar | undefined;
  let current: Report | undefined;
  const open = (r: Report) => {
    const counted = r.total === undefined ? `{value} ${r.unit}` : `[{bar}] {value}/{total} ${r.unit} {percentage}%`;
    bar = new SingleBar({ format: `${label}: ${r.phase} ${counted} | {duration_formatted}`, stream, hideCursor: true }, Presets.shades_classic);
    bar.start(r.total ?? 0, r.done);
  };
  return {
    report(phase, done, total, unit) {
      if (!current || current.phase !== phase || (current.total === undefined) !== (total === undefined)) {
        bar?.stop();
        current = { phase, done, total, unit };
        open(current);
        return;
      }
      current = { phase, done, total, unit };
      if (total !== undefined) bar!.setTotal(total);
      bar!.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
