/** `surveyor worker`: runs the jobs of its workgroups until stopped (SIGTERM or SIGINT hand the run back). */
import { DEFAULT_UNIT_HOSTS } from '../app/job-run.js';
import { defaultWorkerName, runWorker } from '../app/worker.js';
import { checkName } from '../app/names.js';
import { InputError } from '../scanner/errors.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { durationOption, intOption, parseCommand } from './args.js';

export const WORKER_HELP = `usage: surveyor worker [--workgroup W]... [--name NAME] [--unit-hosts N] [--poll DURATION] [--no-rules] [--db PATH]

Runs discovery jobs (surveyor jobs) until stopped: the runs of its workgroups' jobs and of jobs without a
workgroup, through the same scan as "surveyor scan", committed unit by unit (--unit-hosts hosts each, default
${DEFAULT_UNIT_HOSTS}). It also queues the runs that are due, marks stalled the runs no live worker can take (with the
reason), resumes the runs of lost workers at their first unit not done and, while it holds the Smart Rule role
(one worker at a time; another takes it over when this one is lost), applies the stored Smart Rules to the hosts
of each completed run (--no-rules: never take the role). On PostgreSQL runs are delivered by pg-boss. SIGTERM or
Ctrl-C hands the current run back (the next worker resumes it), gives the role up and stops. It logs one line per
event on standard error.

  --workgroup W     serve the jobs of workgroup W (repeatable); every worker serves jobs without a workgroup
  --name NAME       this worker's name in "surveyor workers" and in the runs (default: the host name)
  --poll DURATION   how often to look for work when idle (default: 1s)

Examples:
  surveyor worker --db ./surveyor.db
  surveyor worker --workgroup west --name scanner-west-1 --db postgres://surveyor@db.example:5432/surveyor
`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('worker', argv, {
    workgroup: { type: 'string', multiple: true }, name: { type: 'string' }, 'unit-hosts': { type: 'string' }, poll: { type: 'string' },
    'no-rules': { type: 'boolean' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`worker: unexpected "${positionals[0]}"`);
  const name = values.name ?? defaultWorkerName();
  checkName('--name', name);
  const unitHosts = intOption('unit-hosts', values['unit-hosts'], 1, 65_536) ?? DEFAULT_UNIT_HOSTS;
  const pollMs = durationOption('poll', values.poll, 100, 600_000) ?? 1000;
  const store = await openStore(resolveDbLocation(values.db), { create: true });
  const known = new Set((await store.listWorkgroups()).map((w) => w.name));
  const unknown = (values.workgroup ?? []).filter((w) => !known.has(w));
  if (unknown.length) {
    await store.close();
    throw new InputError(`worker: no workgroup ${unknown.map((w) => `"${w}"`).join(', ')} (surveyor workgroups add NAME --site SITE)`);
  }
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  try {
    await runWorker(store, { name, workgroups: values.workgroup ?? [], unitHosts, pollMs, rules: !values['no-rules'], signal: stop.signal, log });
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await store.close();
  }
}
