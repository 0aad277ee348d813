/** The `surveyor` command: dispatches subcommands and maps errors to exit codes (0 done, 1 failure, 2 bad input). */
import { readFileSync } from 'node:fs';
import { SurveyorError } from '../scanner/errors.js';
import { ASSETS_HELP, assetsCommand, SCANS_HELP, scansCommand } from './assets-command.js';
import { ACCOUNTS_HELP, accountsCommand } from './accounts-command.js';
import { CREDS_HELP, credsCommand } from './creds-command.js';
import { DIRECTORY_HELP, directoryCommand } from './directory-command.js';
import { HOSTKEYS_HELP, hostkeysCommand } from './hostkeys-command.js';
import { LAB_HELP, labCommand } from './lab-command.js';
import { SCAN_HELP, scanCommand } from './scan-command.js';
import { RULES_HELP, rulesCommand } from './rules-command.js';
import { WORKGROUPS_HELP, workgroupsCommand } from './workgroups-command.js';
import { REPORT_HELP, reportCommand } from './report-command.js';
import { JOBS_HELP, jobsCommand, WORKERS_HELP, workersCommand } from './jobs-command.js';
import { WORKER_HELP, workerCommand } from './worker-command.js';
import { SERVE_HELP, serveCommand } from './serve-command.js';
import { USERS_HELP, usersCommand } from './users-command.js';
import { stdoutClosed, watchStdout } from './stdout.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  scan: { run: scanCommand, help: SCAN_HELP },
  assets: { run: assetsCommand, help: ASSETS_HELP },
  scans: { run: scansCommand, help: SCANS_HELP },
  accounts: { run: accountsCommand, help: ACCOUNTS_HELP },
  creds: { run: credsCommand, help: CREDS_HELP },
  hostkeys: { run: hostkeysCommand, help: HOSTKEYS_HELP },
  directory: { run: directoryCommand, help: DIRECTORY_HELP },
  rules: { run: rulesCommand, help: RULES_HELP },
  workgroups: { run: workgroupsCommand, help: WORKGROUPS_HELP },
  report: { run: reportCommand, help: REPORT_HELP },
  jobs: { run: jobsCommand, help: JOBS_HELP },
  worker: { run: workerCommand, help: WORKER_HELP },
  workers: { run: workersCommand, help: WORKERS_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  users: { run: usersCommand, help: USERS_HELP },
  lab: { run: labCommand, help: LAB_HELP },
};

const USAGE = `usage: surveyor COMMAND [options]

Commands:
  scan TARGETS...            sweep targets, fingerprint what answers, enumerate with --creds, store the results
  assets                     list the assets in the store
  assets show ADDRESS        one asset, every field with the rule or probe that set it (--evidence)
  assets diff [--from --to]  what changed between two scans
  scans                      list the scans in the store
  accounts [--privileged]    accounts found with credentials, privileged ones with the reason
  creds add|list|remove|test scan credentials, sealed in the store (AES-256-GCM)
  hostkeys list|accept       SSH host keys pinned on first use; accept a changed one
  directory scan|computers   users, groups, privileged paths and computers of an AD or LDAP directory
  rules validate|apply|store|list|runs|show|undo
                             Smart Rules: onboard privileged accounts into workgroups, group, tag, exclude, notify
  workgroups add|list|move-accounts
                             the sites whose nodes rotate onboarded accounts; move them off a lost site
  jobs add|list|show|run|pause|resume|remove|history
                             scheduled discovery jobs, run by workers of their workgroup
  worker [--workgroup W]     run jobs until stopped;  workers: the workers and who holds the rule role
  report NAME                unmanaged, managed, stale, ssh-keys, software, dependencies (also as html)
  serve [--listen ADDR:PORT] the web page and its JSON API (/api/v1/) for the users below; loopback by default
  users add|list|passwd|remove
                             who may sign in to the web page, as auditor, author or admin
  lab up|status|down         real servers on loopback to try surveyor against (root)
  help COMMAND [SUB]         the options of one command (help assets show: of its subcommand)

Common options: --db PATH (default: $SURVEYOR_DB or ./surveyor.db), --help, and --format table|jsonl|json|csv on
every command that lists something (scan also xml, report also html). Three print one result, table or json:
rules apply, workgroups move-accounts and directory scan.
Exit codes: 0 done, 1 runtime failure, 2 bad input (nothing written), 3 scan completed but some host's credentialed
enumeration failed, 130 interrupted (results so far stored).

Examples:
  surveyor scan 127.105.0.0/24 -p standard
  surveyor assets show web.lab.test --evidence
  surveyor report unmanaged --format html --output unmanaged.html
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(args: string[]): Promise<number> {
  // `help assets show` is `assets show --help`: the subcommand's own help, not the command's.
  const argv = args[0] === 'help' && args.length > 2 && COMMANDS[args[1]!] ? [...args.slice(1), '--help'] : args;
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic ? topic.help : USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`surveyor ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`surveyor: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  watchStdout();
  try {
    const code = await command.run(rest);
    // A reader that went away (`| head`) got what it wanted: not a failure of the command.
    return stdoutClosed.aborted && code === 0 ? 0 : code;
  } catch (err) {
    if (stdoutClosed.aborted && (err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    if (err instanceof SurveyorError) {
      process.stderr.write(`surveyor ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`surveyor ${name}: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
