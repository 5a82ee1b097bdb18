/**
 * CalculateRankings' schedule comes from the server's config key `rankings.cron` (one source: the
 * embedded scheduler runs the same pattern). That is a croner pattern (5 fields, or 6 with
 * seconds first); EventBridge wants `cron(min hour day-of-month month day-of-week year)` with `?`
 * in one of the two day fields and days of week numbered 1-7 from Sunday (cron: 0-7, 0 and 7 =
 * Sunday). Patterns EventBridge cannot express are refused rather than approximated.
 */

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const PLAIN_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const DAY_NAMES = /^(SUN|MON|TUE|WED|THU|FRI|SAT)(-(SUN|MON|TUE|WED|THU|FRI|SAT))?(,(SUN|MON|TUE|WED|THU|FRI|SAT)(-(SUN|MON|TUE|WED|THU|FRI|SAT))?)*$/;

/** The EventBridge expression (`cron(...)`) for a config cron pattern, evaluated in UTC. */
export function eventBridgeCron(pattern: string): string {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length === 6) {
    if (fields[0] !== '0') throw new ScheduleError(`rankings.cron "${pattern}": EventBridge schedules have minute precision (seconds must be 0)`);
    fields.shift();
  }
  if (fields.length !== 5) throw new ScheduleError(`rankings.cron "${pattern}": expected 5 fields (minute hour day month weekday)`);
  const [minute, hour, dom, month, dow] = fields.map((f) => f.toUpperCase());
  for (const [name, value] of [['minute', minute], ['hour', hour], ['day of month', dom], ['month', month]] as const) {
    if (!PLAIN_FIELD.test(value)) throw new ScheduleError(`rankings.cron "${pattern}": ${name} "${value}" is not supported on EventBridge`);
  }
  // EventBridge reads `*/n` as nothing; `0/n` (from the first value) is its spelling.
  const steps = (f: string, first: string) => f.replace(/^\*\//, `${first}/`);
  let day = steps(dom, '1');
  let weekday = '?';
  if (dow !== '*' && dow !== '?') {
    if (dom !== '*' && dom !== '?') throw new ScheduleError(`rankings.cron "${pattern}": EventBridge cannot combine a day of month with a day of week`);
    day = '?';
    weekday = weekdays(dow, pattern);
  }
  return `cron(${steps(minute, '0')} ${steps(hour, '0')} ${day} ${steps(month, '1')} ${weekday} *)`;
}

/** Cron weekdays (0-7, Sunday 0 or 7) to EventBridge's (1-7, Sunday 1). */
function weekdays(dow: string, pattern: string): string {
  if (DAY_NAMES.test(dow)) return dow;
  if (!/^\d(-\d)?(,\d(-\d)?)*$/.test(dow)) throw new ScheduleError(`rankings.cron "${pattern}": weekday "${dow}" is not supported on EventBridge`);
  return dow
    .split(',')
    .map((part) => {
      const [from, to] = part.split('-').map(Number);
      if (from > 7 || (to ?? 0) > 7) throw new ScheduleError(`rankings.cron "${pattern}": weekday ${part} out of range 0-7`);
      const shift = (d: number) => (d % 7) + 1;
      if (to === undefined) return String(shift(from));
      if (to === 7) return from === 0 ? '1-7' : `${shift(from)}-7,1`; // ... through Sunday wraps to 1
      return `${shift(from)}-${shift(to)}`;
    })
    .join(',');
}
