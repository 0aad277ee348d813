/** A filter on addresses as people write one: an address, a CIDR block, a range or an octet pattern (scan's syntax, no names). */
import { badToken } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';
import { intervalsOf, parseToken } from '../scanner/targets/parse.js';

/** A predicate over addresses; a bad spec (or a host name) is an InputError naming it as `bad <what> "..."`. */
export function addressFilter(spec: string, what = 'address filter'): (address: string) => boolean {
  const parsed = parseToken(spec.trim(), undefined, what);
  if (parsed.kind === 'name') throw badToken(what, spec, 'give an address, a CIDR block or a range, not a host name');
  const intervals = intervalsOf(parsed);
  return (address) => {
    const a = parseAddress(address);
    return a.ok && a.address.family === parsed.family && intervals.some((i) => a.address.value >= i.lo && a.address.value <= i.hi);
  };
}
