/**
 * Port specifications: named sets (`default`, `standard`, `database`, `all`), single ports and ranges, mixed in
 * one comma list (`standard,8080,9000-9100`). The result is sorted and free of duplicates.
 */
import { badToken, InputError } from './errors.js';

export const STANDARD_PORTS = [22, 80, 110, 139, 389, 443, 445, 3389] as const;
export const DATABASE_PORTS = [1025, 1433, 1521, 3306, 5000, 5432, 27017] as const;
export const DEFAULT_PORTS = [...STANDARD_PORTS, ...DATABASE_PORTS].sort((a, b) => a - b);

export const PORT_SETS = {
  default: DEFAULT_PORTS,
  standard: STANDARD_PORTS,
  database: DATABASE_PORTS,
} as const;
export type PortSetName = keyof typeof PORT_SETS | 'all';

function portNumber(text: string, token: string): number {
  if (!/^\d+$/.test(text)) throw badToken('port', token, `"${text}" is not a port number or a named set (default, standard, database, all)`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw badToken('port', token, `port ${text} is out of range 1-65535`);
  return port;
}

export function parsePorts(spec: string): number[] {
  if (spec.trim() === '') throw new InputError('bad --ports "": give ports, ranges or a named set (default, standard, database, all)');
  const chosen = new Set<number>();
  for (const raw of spec.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '') throw badToken('port', spec, 'empty item in the port list (two commas in a row, or a trailing comma)');
    if (token === 'all') {
      for (let p = 1; p <= 65535; p++) chosen.add(p);
      continue;
    }
    if (token in PORT_SETS) {
      for (const p of PORT_SETS[token as keyof typeof PORT_SETS]) chosen.add(p);
      continue;
    }
    const dash = token.indexOf('-');
    if (dash < 0) {
      chosen.add(portNumber(token, raw));
      continue;
    }
    const [startText, endText] = [token.slice(0, dash), token.slice(dash + 1)];
    // nmap reads `1-` as 1-65535 and `-100` as 1-100; an open range is more often a slip than a wish to scan all.
    if (startText === '' || endText === '') {
      throw badToken('port', raw, `the range has no ${startText === '' ? (endText === '' ? 'start and no end' : 'start') : 'end'} (write both ends, e.g. ${startText || '1'}-${endText || '65535'}, or "all")`);
    }
    const start = portNumber(startText, raw);
    const end = portNumber(endText, raw);
    if (end < start) throw badToken('port', raw, 'empty range: the end comes before the start');
    for (let p = start; p <= end; p++) chosen.add(p);
  }
  return [...chosen].sort((a, b) => a - b);
}
