import test from 'ava';
import { InputError } from '../scanner/errors.js';
import { DATABASE_PORTS, DEFAULT_PORTS, parsePorts, STANDARD_PORTS } from '../scanner/ports.js';

test('named sets hold the design card ports', (t) => {
  t.deepEqual(parsePorts('standard'), [22, 80, 110, 139, 389, 443, 445, 3389]);
  t.deepEqual(parsePorts('database'), [1025, 1433, 1521, 3306, 5000, 5432, 27017]);
  t.deepEqual(parsePorts('default'), [...STANDARD_PORTS, ...DATABASE_PORTS].sort((a, b) => a - b));
  t.is(DEFAULT_PORTS.length, 15);
  t.is(parsePorts('all').length, 65535);
});

test('lists, ranges and mixes are sorted and deduplicated', (t) => {
  t.deepEqual(parsePorts('22,80,8000-8003'), [22, 80, 8000, 8001, 8002, 8003]);
  t.deepEqual(parsePorts('standard,8080,22'), [22, 80, 110, 139, 389, 443, 445, 3389, 8080]);
  t.deepEqual(parsePorts('443, 80 ,80'), [80, 443]);
  t.deepEqual(parsePorts('65535'), [65535]);
});

test('bad port specs name the token and why', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['0', /port 0 is out of range 1-65535/],
    ['65536', /port 65536 is out of range/],
    ['22,,80', /empty item/],
    ['90-80', /empty range/],
    ['http', /"http" is not a port number or a named set/],
    ['', /give ports/],
    // An open range is named as such (it once said `"?" is not a port number`).
    ['80-', /bad port "80-": the range has no end \(write both ends, e\.g\. 80-65535, or "all"\)/],
    ['-100', /bad port "-100": the range has no start/],
    ['-', /the range has no start and no end/],
  ];
  for (const [spec, message] of cases) {
    const err = t.throws(() => parsePorts(spec), { instanceOf: InputError }, spec);
    t.regex(err!.message, message, spec);
  }
});
