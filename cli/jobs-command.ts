/** `surveyor jobs add|list|show|run|pause|resume|remove|history` and `surveyor workers`: scheduled discovery jobs. */
import { addJob, jobSettings, pauseJob, removeJob, requireJob, runJobNow, showJob, workerLive } from '../app/jobs.js';
import { cronSchedule, describeSchedule, everySchedule } from '../app/schedule.js';
import { FORMATS, renderListing, SCHEMA_VERSION, type Column } from '../app/formats.js';
import type { JobRecord, JobRunRecord, WorkerRecord } from '../model/job.js';
import { readListFile } from '../scanner/targets/parse.js';
import { InputError } from '../scanner/errors.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { choiceOption, durationOption, parseCommand } from './args.js';
import { scanSettings, SCAN_SETTING_OPTIONS } from './scan-command.js';
import { fmt, formatDuration } from './progress.js';

export const JOBS_HELP = `usage: surveyor jobs add NAME --targets T... [--exclude T...] [-p PORTS] [--creds NAME...] [--workgroup W]
                         [--cron "EXPR" | --every DURATION] [--apply-rules stored|none] [scan options] [--db PATH]
       surveyor jobs list [--format table|jsonl|json|csv] [--db PATH]
       surveyor jobs show NAME [--format table|jsonl|json|csv] [--db PATH]
       surveyor jobs history NAME [--format table|jsonl|json|csv] [--db PATH]
       surveyor jobs run|pause|resume|remove NAME [--db PATH]
       surveyor workers [--format table|jsonl|json|csv] [--db PATH]

A job is a stored scan with a schedule. Workers (surveyor worker) run it: a job with --workgroup only on workers
of that workgroup, one without on any worker. Each run is one scan record, scanned in units of hosts and
committed unit by unit, so a run whose worker is lost is resumed by another at its first unit not done.

  --targets T        addresses, CIDR blocks, ranges, names, @FILE (repeatable; resolved again at each run)
  --cron "EXPR"      five fields, UTC, as crontab: "0 2 * * *" (every night at 02:00)
  --every DURATION   a fixed interval (at least 5s): 30s, 15m, 6h; the first run is due at once
                     (neither: the job runs only with "jobs run")
  --workgroup W      only workers of W run it (surveyor workgroups add W --site SITE)
  --apply-rules      stored (default): after each completed run, the stored rule set is applied to the hosts
                     it saw; none: never
  scan options       as "surveyor scan": -p/--ports, --creds, --timeout-ms, --retries, --rate, --states, ...

Run states: queued, running, completed, failed, interrupted, stalled (no live worker of its workgroup, or its
worker was lost: the reason is shown, and the next worker of the workgroup takes it). "jobs show" gives each
run's progress: hosts in range and done, hosts found, open ports, accounts, the rate and an ETA.

Examples:
  surveyor jobs add nightly --targets 127.105.0.0/24 -p standard --cron "0 2 * * *" --workgroup west
  surveyor jobs add lab-watch --targets 127.105.0.1-20 --every 15m --creds ssh-admin
  surveyor jobs show nightly --format json
`;

const JOB_OPTIONS = {
  ...SCAN_SETTING_OPTIONS,
  targets: { type: 'string', multiple: true },
  workgroup: { type: 'string' },
  cron: { type: 'string' },
  every: { type: 'string' },
  'apply-rules': { type: 'string' },
  db: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SUBS = ['add', 'list', 'show', 'history', 'run', 'pause', 'resume', 'remove'] as const;

export async function jobsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(JOBS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!(SUBS as readonly string[]).includes(sub)) throw new InputError(`jobs: unknown subcommand "${sub}" (${SUBS.join(', ')})`);
  const { values, positionals } = parseCommand(`jobs ${sub}`, rest, sub === 'add' ? JOB_OPTIONS : { db: JOB_OPTIONS.db, format: JOB_OPTIONS.format, help: JOB_OPTIONS.help });
  if (values.help) {
    process.stdout.write(JOBS_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const out = (t: string) => process.stdout.write(t);
  if (sub === 'list') {
    if (positionals.length) throw new InputError(`jobs list: unexpected "${positionals[0]}"`);
  } else if (positionals.length !== 1) throw new InputError(`jobs ${sub}: give one job NAME`);
  const name = positionals[0]!;
  if (sub === 'add') return add(name, values as Record<string, unknown>);
  const store = await openStore(resolveDbLocation(values.db));
  try {
    switch (sub) {
      case 'list': {
        const jobs = await store.jobs.list();
        const last = new Map<number, JobRunRecord>();
        for (const r of await store.jobs.listRuns({ limit: 10_000 })) if (!last.has(r.jobId)) last.set(r.jobId, r);
        out(renderListing(format, {
          key: 'jobs', items: jobs, json: (j) => ({ ...j, lastRun: last.get(j.id) ?? null }), empty: 'no jobs (surveyor jobs add NAME --targets ...)',
          columns: [
            { name: 'name', value: (j) => j.name }, { name: 'workgroup', value: (j) => j.workgroup ?? (format === 'table' ? 'any' : null) },
            { name: 'schedule', value: (j) => describeSchedule(j.schedule) }, { name: 'paused', value: (j) => (format === 'table' ? (j.paused ? 'yes' : 'no') : j.paused) },
            { name: 'next_run', value: (j) => j.nextRunAt }, { name: 'last_run', value: (j) => { const r = last.get(j.id); return r ? `${r.id} ${r.state}` : null; } },
            { name: 'targets', value: (j) => (format === 'table' ? j.definition.targets.join(' ') : j.definition.targets) },
          ],
        }));
        return 0;
      }
      case 'show': {
        const { job, runs } = await showJob(store, name);
        if (format === 'json') {
          out(JSON.stringify({ schema: SCHEMA_VERSION, job, runs }, null, 2) + '\n');
          return 0;
        }
        if (format === 'table') out(describeJob(job) + '\n');
        out(renderListing(format, { key: 'runs', items: runs, json: (r) => ({ ...r }), envelope: format === 'jsonl' ? { job: job.name } : {}, empty: 'no runs yet', columns: runColumns(format) }));
        return 0;
      }
      case 'history': {
        await requireJob(store, name);
        const runs = await store.jobs.listRuns({ job: name });
        out(renderListing(format, { key: 'runs', items: runs, json: (r) => ({ ...r }), envelope: { job: name }, empty: 'no runs yet', columns: runColumns(format) }));
        return 0;
      }
      case 'run': {
        const run = await runJobNow(store, name);
        out(`run ${run.id} of job ${name} queued${run.workgroup ? ` for workgroup ${run.workgroup}` : ''}: a worker takes it (surveyor jobs show ${name})\n`);
        return 0;
      }
      case 'pause':
      case 'resume': {
        const job = await pauseJob(store, name, sub === 'pause');
        out(`job ${name} ${sub === 'pause' ? 'paused: no scheduled runs until "jobs resume"' : `resumed; next run ${job.nextRunAt ?? 'only on "jobs run"'}`}\n`);
        return 0;
      }
      case 'remove': {
        await removeJob(store, name);
        out(`job ${name} removed with its run history (the scans its runs made stay)\n`);
        return 0;
      }
    }
    return 2;
  } finally {
    await store.close();
  }
}

async function add(name: string, values: Record<string, unknown>): Promise<number> {
  const v = values as { targets?: string[]; exclude?: string[]; 'exclude-file'?: string[]; ports?: string; workgroup?: string; cron?: string; every?: string; 'apply-rules'?: string; db?: string };
  if (!v.targets?.length) throw new InputError('jobs add: give --targets (addresses, CIDR blocks, ranges, names or @FILE)');
  if (v.cron !== undefined && v.every !== undefined) throw new InputError('jobs add: give --cron or --every, not both');
  const schedule = v.cron !== undefined ? cronSchedule(v.cron) : v.every !== undefined ? everySchedule(durationOption('every', v.every, 1, 366 * 86_400_000)!) : null;
  const applyRules = choiceOption('apply-rules', v['apply-rules'], ['stored', 'none'] as const, 'stored');
  const settings = scanSettings(values as Parameters<typeof scanSettings>[0]);
  // Exclusion files are read now: the job keeps their addresses, since a worker on another node has no such file.
  const exclude = [...(v.exclude ?? []), ...(v['exclude-file'] ?? []).flatMap((f) => readListFile(f, 'exclusion').map((l) => l.token))];
  const { credentials } = settings;
  const store = await openStore(resolveDbLocation(v.db), { create: credentials.length === 0 });
  try {
    const job = await addJob(store, {
      name, workgroup: v.workgroup ?? null, schedule, applyRules,
      definition: {
        targets: v.targets, exclude, portSpec: v.ports ?? 'default', ports: settings.sweep.ports, credentials, settings: jobSettings(settings),
      },
    });
    process.stdout.write(`job ${name} added: ${describeSchedule(job.schedule)}${job.nextRunAt ? `, next run ${job.nextRunAt}` : ' (surveyor jobs run ' + name + ')'}; run by ${job.workgroup ? `workers of workgroup ${job.workgroup}` : 'any worker'} (surveyor worker)\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function describeJob(j: JobRecord): string {
  const d = j.definition;
  return [
    `job ${j.name}${j.paused ? ' (paused)' : ''}`,
    `  targets    ${d.targets.join(' ')}${d.exclude.length ? `  (exclude ${d.exclude.join(' ')})` : ''}`,
    `  ports      ${d.portSpec} (${d.ports.length} ports)`,
    `  creds      ${d.credentials.join(', ') || '-'}`,
    `  workgroup  ${j.workgroup ?? 'any'}`,
    `  schedule   ${describeSchedule(j.schedule)}; next run ${j.nextRunAt ?? '-'}`,
    `  rules      ${j.applyRules === 'stored' ? 'the stored rule set after each completed run' : 'none'}`,
  ].join('\n') + '\n';
}

function runColumns(format: string): Column<JobRunRecord>[] {
  const table = format === 'table';
  const p = (r: JobRunRecord) => r.progress;
  return [
    { name: 'run', value: (r) => r.id }, { name: 'state', value: (r) => r.state }, { name: 'trigger', value: (r) => r.trigger, only: 'csv' },
    { name: 'worker', value: (r) => r.worker }, { name: 'queued', value: (r) => r.queuedAt, only: 'csv' },
    { name: 'started', value: (r) => r.startedAt }, { name: 'finished', value: (r) => r.finishedAt },
    { name: 'hosts', value: (r) => (p(r) ? `${fmt(p(r)!.hostsDone)}/${fmt(p(r)!.hostsTotal)}` : null), only: 'table' },
    { name: 'hosts_total', value: (r) => p(r)?.hostsTotal, only: 'csv' }, { name: 'hosts_done', value: (r) => p(r)?.hostsDone, only: 'csv' },
    { name: 'found', value: (r) => p(r)?.hostsFound }, { name: 'open', value: (r) => p(r)?.openPorts }, { name: 'accounts', value: (r) => p(r)?.accounts },
    { name: 'rate', value: (r) => (table ? (p(r)?.ratePerSec != null ? `${p(r)!.ratePerSec}/s` : null) : p(r)?.ratePerSec) },
    { name: 'eta', value: (r) => (table ? (r.state === 'running' && p(r)?.etaMs != null ? formatDuration(p(r)!.etaMs!) : null) : p(r)?.etaMs) },
    { name: 'updated', value: (r) => p(r)?.updatedAt, only: 'csv' }, { name: 'units_done', value: (r) => r.unitsDone, only: 'csv' },
    { name: 'units_total', value: (r) => r.unitsTotal, only: 'csv' }, { name: 'scan', value: (r) => r.scanId },
    { name: 'rules', value: (r) => r.rules }, { name: 'note', value: (r) => r.note },
  ];
}

export const WORKERS_HELP = `usage: surveyor workers [--format table|jsonl|json|csv] [--db PATH]

The workers that announced themselves in this database: their workgroups, host and process, last heartbeat,
whether they are live (a heartbeat in the last 15 s) and which one holds the Smart Rule processor role, with the
role's epoch (it goes up each time the role changes hands) and since when.
`;

export async function workersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('workers', argv, { db: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(WORKERS_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`workers: unexpected "${positionals[0]}"`);
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const [workers, role] = await Promise.all([store.jobs.listWorkers(), store.jobs.roleHolder()]);
    // The holder as last recorded leads while it is live and its heartbeat says it still holds the role.
    const leads = (w: WorkerRecord) => role?.holder === w.name && w.rulesLeader && workerLive(w);
    process.stdout.write(renderListing(format, {
      key: 'workers', items: workers, empty: 'no workers yet (surveyor worker)',
      json: (w) => ({ ...w, live: workerLive(w), rulesLeader: leads(w), ruleRole: leads(w) ? { epoch: role!.epoch, since: role!.since } : null }),
      columns: [
        { name: 'name', value: (w) => w.name }, { name: 'workgroups', value: (w) => (format === 'table' ? w.workgroups.join(',') || '(none)' : w.workgroups) },
        { name: 'host', value: (w) => w.host }, { name: 'pid', value: (w) => w.pid }, { name: 'started', value: (w) => w.startedAt },
        { name: 'heartbeat', value: (w) => w.heartbeatAt }, { name: 'live', value: (w) => (format === 'table' ? (workerLive(w) ? 'yes' : 'no') : workerLive(w)) },
        { name: 'rules_leader', value: (w) => (format === 'table' ? (leads(w) ? `yes (epoch ${role!.epoch} since ${role!.since})` : '-') : leads(w)) },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}
