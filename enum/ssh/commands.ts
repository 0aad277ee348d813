/**
 * The commands surveyor runs on a Linux/Unix host, as POSIX sh. Each runs under `sh -c` with LC_ALL=C and a
 * standard PATH whatever the login shell is; `elevated` ones go through `sudo -n` when the credential allows it.
 * Commands work without root where the host allows it; what needs root (shadow, sudoers, other users' keys,
 * DMI serials, socket owners) is marked.
 */

export interface HostCommand {
  readonly name: string;
  readonly script: string;
  /** Run through `sudo -n` when the credential may elevate. */
  readonly elevated?: boolean;
  /** Only when elevated (without root the command would only say "permission denied"). */
  readonly needsRoot?: boolean;
}

export const STAGE_ONE: readonly HostCommand[] = [
  { name: 'os-release', script: 'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release' },
  { name: 'uname', script: 'uname -s; uname -n; uname -r; uname -m; hostname -f 2>/dev/null || true' },
  { name: 'cpuinfo', script: 'cat /proc/cpuinfo' },
  { name: 'meminfo', script: 'cat /proc/meminfo' },
  { name: 'disks', script: 'lsblk -b -d -n -P -o NAME,SIZE,TYPE,MODEL,SERIAL', elevated: true },
  {
    name: 'dmi',
    elevated: true,
    script: 'cd /sys/class/dmi/id 2>/dev/null || exit 0; for f in sys_vendor product_name product_version product_serial product_uuid board_vendor board_name bios_vendor bios_version; do [ -r "$f" ] && printf "%s=%s\\n" "$f" "$(cat "$f" 2>/dev/null)"; done; true',
  },
  { name: 'ip-link', script: 'ip -o link show' },
  { name: 'ip-addr', script: 'ip -o addr show' },
  {
    name: 'packages',
    script: [
      'if command -v dpkg-query >/dev/null 2>&1; then echo dpkg; dpkg-query -W -f=\'${binary:Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n\';',
      'elif command -v rpm >/dev/null 2>&1; then echo rpm; rpm -qa --qf \'%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n\';',
      'elif command -v apk >/dev/null 2>&1; then echo apk; apk list --installed 2>/dev/null;',
      'else echo none; fi',
    ].join(' '),
  },
  {
    name: 'services',
    elevated: true,
    script: [
      'if [ -d /run/systemd/system ]; then echo systemd; systemctl list-units --type=service --all --no-legend --plain --no-pager;',
      'elif command -v service >/dev/null 2>&1; then echo sysv; timeout 60 service --status-all 2>&1;',
      'elif [ -d /etc/init.d ]; then echo initd; ls /etc/init.d; else echo none; fi',
    ].join(' '),
  },
  { name: 'sockets', elevated: true, script: 'if command -v ss >/dev/null 2>&1; then ss -H -tuln${SURVEYOR_ROOT:+p}; else netstat -tuln | tail -n +3; fi' },
  { name: 'passwd', script: 'getent passwd' },
  { name: 'group', script: 'getent group' },
  { name: 'shadow', elevated: true, needsRoot: true, script: 'getent shadow' },
  { name: 'lastlog', script: 'lastlog' },
  { name: 'sudoers', elevated: true, needsRoot: true, script: 'cat /etc/sudoers' },
  { name: 'sudo-self', script: 'sudo -n -l 2>&1; true' },
  {
    name: 'sshd-configs',
    script: 'for d in /proc/[0-9]*; do read -r n < "$d/comm" 2>/dev/null || continue; [ "$n" = sshd ] && tr "\\000" " " < "$d/cmdline" 2>/dev/null && echo; done; true',
  },
];

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line sent to the server for a script, with or without sudo. */
export function commandLine(script: string, sudo: boolean): string {
  const env = `env LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin${sudo ? ' SURVEYOR_ROOT=1' : ''}`;
  return `${sudo ? 'sudo -n ' : ''}${env} sh -c ${shellQuote(script)}`;
}

/**
 * A script that prints each readable file among `paths`, each after a line "<boundary> <path>". The boundary is
 * random per run, so file contents cannot forge a header.
 */
export function catFilesScript(paths: readonly string[], boundary: string): string {
  return `for f in ${paths.map(shellQuote).join(' ')}; do [ -f "$f" ] && [ -r "$f" ] && { printf '%s %s\\n' ${boundary} "$f"; cat "$f"; echo; }; done; true`;
}

export function splitFiles(text: string, boundary: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(`${boundary} `)) {
      if (current !== undefined) out.set(current, lines.join('\n'));
      current = line.slice(boundary.length + 1);
      lines = [];
    } else if (current !== undefined) lines.push(line);
  }
  if (current !== undefined) out.set(current, lines.join('\n'));
  return out;
}

/** A script listing the files of directories (for #includedir), one path a line. */
export function listDirsScript(dirs: readonly string[]): string {
  return `for d in ${dirs.map(shellQuote).join(' ')}; do for f in "$d"/*; do [ -f "$f" ] && echo "$f"; done; done; true`;
}

/** Where systemd looks for unit files when `systemd-analyze unit-paths` is not there to say, in its order. */
export const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/run/systemd/generator', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
/** System crontabs (with a user field) and the spools of per-user crontabs and at jobs (Debian, Red Hat, SUSE). */
export const CRON_FILES = ['/etc/crontab'];
export const CRON_DIRS = ['/etc/cron.d'];
export const CRONTAB_SPOOLS = ['/var/spool/cron/crontabs', '/var/spool/cron', '/var/spool/cron/tabs'];
export const AT_SPOOLS = ['/var/spool/cron/atjobs', '/var/spool/at', '/var/spool/atjobs'];

/**
 * Which accounts run services and jobs: first the unit directories in systemd's order ("<boundary> dirs ..."), then
 * each symlinked unit with its target ("<boundary> link <path>\t<target>"), then each file after a line
 * "<boundary> <section> <path>". Unit files and drop-ins in systemd's search path, reduced to their section headers
 * and the User=, Group=, DynamicUser= and ExecStart= lines (continuation lines joined); system crontabs and the files
 * of /etc/cron.d; per-user crontabs; and of each at job only its `# atrun uid=` line and its commands, never the
 * environment at saved with it. A spool that exists but cannot be read is named ("unreadable"). `unitDirs` replaces
 * systemd's search path (for tests).
 */
export function runsScript(boundary: string, unitDirs?: readonly string[]): string {
  const q = (paths: readonly string[]) => paths.map(shellQuote).join(' ');
  // One awk reads every unit file (a sed and a grep per file took a second and a half on a host of 300 units);
  // a line ending in "\" continues on the next, within the same file.
  const unitAwk = [
    `awk -v B="$B" 'function keep(s) { if (s ~ /^[ \\t]*(\\[|(User|Group|DynamicUser|ExecStart)[ \\t]*=)/) print s }`,
    'FNR == 1 { print B " unit " FILENAME }',
    '{ l = $0; while (l ~ /\\\\$/) { sub(/\\\\$/, " ", l); f = FILENAME; if ((getline n) <= 0) break;',
    '  if (FILENAME != f) { keep(l); print B " unit " FILENAME; l = n; continue } l = l n }',
    `  keep(l) }' "$@"`,
  ].join('\n');
  return [
    `B=${boundary}`,
    unitDirs ? `dirs=${shellQuote(unitDirs.join(' '))}` : `dirs=$(systemd-analyze unit-paths 2>/dev/null) || dirs=''; [ -n "$dirs" ] || dirs=${shellQuote(UNIT_DIRS.join(' '))}`,
    `printf '%s dirs %s\\n' "$B" "$(echo $dirs)"`,
    'set --',
    'for d in $dirs; do [ -d "$d" ] || continue',
    '  for f in "$d"/*.service "$d"/*.service.d/*.conf "$d"/*.wants/*@*.service; do',
    `    if [ -L "$f" ]; then printf '%s link %s\\t%s\\n' "$B" "$f" "$(readlink -f "$f")"; elif [ ! -e "$f" ]; then continue; fi`,
    '    [ -f "$f" ] && [ -r "$f" ] && set -- "$@" "$f"',
    '  done',
    'done',
    `[ $# -gt 0 ] && ${unitAwk}`,
    `for f in ${q(CRON_FILES)}; do [ -f "$f" ] && [ -r "$f" ] && { printf '%s cron %s\\n' "$B" "$f"; cat "$f"; echo; }; done`,
    `for d in ${q(CRON_DIRS)}; do for f in "$d"/*; do [ -f "$f" ] && [ -r "$f" ] && { printf '%s cron %s\\n' "$B" "$f"; cat "$f"; echo; }; done; done`,
    `for d in ${q(CRONTAB_SPOOLS)}; do [ -d "$d" ] || continue; if [ -r "$d" ] && [ -x "$d" ]; then`,
    `  for f in "$d"/*; do [ -f "$f" ] || continue; if [ -r "$f" ]; then printf '%s crontab %s\\n' "$B" "$f"; cat "$f"; echo; else printf '%s unreadable %s\\n' "$B" "$f"; fi; done`,
    `else printf '%s unreadable %s\\n' "$B" "$d"; fi; done`,
    `for d in ${q(AT_SPOOLS)}; do [ -d "$d" ] || continue; if [ -r "$d" ] && [ -x "$d" ]; then`,
    `  for f in "$d"/*; do [ -f "$f" ] || continue; if [ -r "$f" ]; then printf '%s at %s\\n' "$B" "$f"; sed -n -e '/^# atrun uid=/p' -e '/^}$/,$p' "$f"; else printf '%s unreadable %s\\n' "$B" "$f"; fi; done`,
    `else printf '%s unreadable %s\\n' "$B" "$d"; fi; done`,
    'true',
  ].join('\n');
}
