/**
 * When jobs run: a cron expression (five fields, UTC, as crontab(5); read by cron-parser, the library pg-boss uses)
 * or a fixed interval. The next run after a due time skips the times already past, as cron does after downtime:
 * a job never runs twice to catch up.
 */
import { CronExpressionParser } from 'cron-parser';
import { InputError } from '../scanner/errors.js';
import type { JobSchedule } from '../model/job.js';

/** The shortest interval of --every: shorter runs would overlap their own heartbeats and progress writes. */
export const MIN_EVERY_MS = 5_000;

export function cronSchedule(expr: string): JobSchedule {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new InputError(`bad --cron "${expr}": expected five fields (minute hour day-of-month month day-of-week), like "0 2 * * *", got ${fields.length}`);
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC', strict: false });
  } catch (err) {
    throw new InputError(`bad --cron "${expr}": ${(err as Error).message}`);
  }
  return { cron: fields.join(' ') };
}

export function everySchedule(ms: number): JobSchedule {
  if (ms < MIN_EVERY_MS) throw new InputError(`bad --every: at least ${MIN_EVERY_MS / 1000}s between runs`);
  return { everyMs: ms };
}

/** The first run of a new (or resumed) job: an interval's at once, a cron expression's at its next time. */
export function firstRun(schedule: JobSchedule, now: Date): string | null {
  if (!schedule) return null;
  if ('everyMs' in schedule) return now.toISOString();
  return nextCron(schedule.cron, now);
}

/** The run after the one due at `due`, later than `now`. */
export function nextRun(schedule: JobSchedule, due: Date, now: Date): string | null {
  if (!schedule) return null;
  if ('cron' in schedule) return nextCron(schedule.cron, now > due ? now : due);
  const missed = Math.max(0, Math.floor((now.getTime() - due.getTime()) / schedule.everyMs));
  return new Date(due.getTime() + (missed + 1) * schedule.everyMs).toISOString();
}

function nextCron(expr: string, after: Date): string {
  return CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: after }).next().toDate().toISOString();
}

export function describeSchedule(schedule: JobSchedule): string {
  if (!schedule) return 'on demand';
  if ('cron' in schedule) return `cron "${schedule.cron}" (UTC)`;
  const s = schedule.everyMs / 1000;
  return `every ${s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`}`;
}
