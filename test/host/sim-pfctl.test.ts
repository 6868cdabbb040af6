// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated pfctl(8) with SAMPLES.md and REFERENCE.md section 6: anchor
// loads from stdin, the normalised rule print, flush/enable messages, tables and syntax errors.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
const ok = (stdout: string, stderr = '') => ({ stdout, stderr, code: 0 });
const fail = (stderr: string, stdout = '') => ({ stdout, stderr, code: 1 });
const SYNTAX = 'pfctl: Syntax error in config file: pf rules not loaded\n';

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
});
afterEach(() => host.cleanup());

const load = (anchor: string, text: string) =>
  host.run('pfctl', ['-a', anchor, '-f', '-'], { input: text });

describe('anchor loads', () => {
  it('loads from stdin and prints the normalised rule (SAMPLES: pfctl -a stockade/web -f -)', () => {
    expect(
      load(
        'stockade/web',
        'pass in quick on epair0a inet proto tcp from any to 10.77.0.2 port 80\n',
      ),
    ).toEqual(ok(''));
    expect(host.run('pfctl', ['-a', 'stockade/web', '-s', 'rules'])).toEqual(
      ok(
        'pass in quick on epair0a inet proto tcp from any to 10.77.0.2 port = http flags S/SA keep state\n',
      ),
    );
  });

  it('prints nat and rdr rules (SAMPLES: pfctl -a stockade/web -s nat)', () => {
    expect(
      load(
        'stockade/web',
        'ext_if = "vtnet0"\n' +
          'nat on $ext_if inet from 10.77.0.0/24 to any -> ($ext_if)\n' +
          'rdr pass on $ext_if inet proto tcp from any to any port 80 -> 10.77.0.2 port 80\n',
      ),
    ).toEqual(ok(''));
    expect(host.run('pfctl', ['-a', 'stockade/web', '-s', 'nat'])).toEqual(
      ok(
        'nat on vtnet0 inet from 10.77.0.0/24 to any -> (vtnet0) round-robin\n' +
          'rdr pass on vtnet0 inet proto tcp from any to any port = http -> 10.77.0.2 port 80\n',
      ),
    );
  });

  it('normalises block, lists, tables, negation and port operators (REFERENCE 6.4)', () => {
    expect(
      load(
        'stockade/web',
        'table <web_backends> persist { 10.77.0.2, 10.77.0.3 }\n' +
          'rdr on em0 proto tcp from any to (em0) port 8080 -> { 10.77.0.2, 10.77.0.3 }\n' +
          'block in on em0\n' +
          'block return out proto udp from ! 10.0.0.0/8 to any port >= 1024\n' +
          'pass in proto tcp to port { 22 443 }\n' +
          'pass in inet proto tcp from <web_backends> port 6669:65535 to any\n' +
          'pass out proto udp no state\n',
      ),
    ).toEqual(ok(''));
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sr'])).toEqual(
      ok(
        'block drop in on em0 all\n' +
          'block return out inet proto udp from ! 10.0.0.0/8 to any port >= 1024\n' +
          'pass in proto tcp from any to any port = ssh flags S/SA keep state\n' +
          'pass in proto tcp from any to any port = https flags S/SA keep state\n' +
          'pass in inet proto tcp from <web_backends> port 6669:65535 to any flags S/SA keep state\n' +
          'pass out proto udp all no state\n',
      ),
    );
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sn'])).toEqual(
      ok(
        'rdr on em0 inet proto tcp from any to (em0) port = http-alt -> { 10.77.0.2, 10.77.0.3 } round-robin\n',
      ),
    );
    expect(host.run('pfctl', ['-a', 'stockade/web', '-s', 'Tables'])).toEqual(ok('web_backends\n'));
  });

  it('keeps IPv6 rules IPv6 (bug B19)', () => {
    expect(
      load(
        'stockade/web',
        'pass in proto tcp from any to fd00:77::2 port 80\n' +
          'pass in on em0 inet6 proto tcp from any to fd00:77::/64 port 443\n',
      ),
    ).toEqual(ok(''));
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sr'])).toEqual(
      ok(
        'pass in inet6 proto tcp from any to fd00:77::2 port = http flags S/SA keep state\n' +
          'pass in on em0 inet6 proto tcp from any to fd00:77::/64 port = https flags S/SA keep state\n',
      ),
    );
    expect(load('stockade/web', 'pass in inet proto tcp from any to fd00:77::2\n')).toEqual(
      fail(`stdin:1: rule expands to no valid combination\n${SYNTAX}`),
    );
  });

  it('replaces the anchor atomically on reload', () => {
    load('stockade/web', 'pass in all\n');
    load('stockade/web', 'block in all\n');
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sr'])).toEqual(ok('block drop in all\n'));
  });
});

describe('syntax errors', () => {
  it('rejects a bad rule and changes nothing (SAMPLES; bug B5)', () => {
    load('stockade/web', 'pass in all\n');
    expect(load('stockade/web', 'pass in on epair0a proto tcp to port http keep\n')).toEqual(
      fail(`stdin:1: syntax error\n${SYNTAX}`),
    );
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sr'])).toEqual(
      ok('pass in all flags S/SA keep state\n'),
    );
  });

  it('reports the line of the bad rule and rejects injected garbage', () => {
    expect(load('stockade/web', 'pass in all\n\npass in all; block all\n')).toEqual(
      fail(`stdin:3: syntax error\n${SYNTAX}`),
    );
    expect(load('stockade/web', 'pass in all\n`reboot`\n')).toEqual(
      fail(`stdin:2: syntax error\n${SYNTAX}`),
    );
    expect(load('stockade/web', 'pass in proto tcp to port 70000\n')).toEqual(
      fail(`stdin:1: illegal port value 70000\n${SYNTAX}`),
    );
    expect(host.run('pfctl', ['-a', 'stockade/web', '-sr'])).toEqual(
      fail('pfctl: DIOCGETRULES: Invalid argument\n'),
    );
  });

  it('prints only the file lines with -n (SAMPLES: macro not defined)', () => {
    expect(host.run('pfctl', ['-nf', '-'], { input: 'pass in on $nope\n' })).toEqual(
      fail("stdin:1: macro 'nope' not defined\nstdin:1: syntax error\n"),
    );
    expect(host.run('pfctl', ['-nf', '-'], { input: 'pass in all\n' })).toEqual(ok(''));
  });

  it('enforces translation before filtering', () => {
    expect(load('x', 'pass in all\nnat on em0 from any to any -> (em0)\n')).toEqual(
      fail(
        'stdin:2: Rules must be in order: options, normalization, queueing, translation, filtering\n' +
          SYNTAX,
      ),
    );
  });
});

describe('flush, enable, anchors', () => {
  it('prints the flush messages on stderr (SAMPLES: -F all)', () => {
    load('stockade/web', 'pass in all\n');
    expect(host.run('pfctl', ['-a', 'stockade/web', '-F', 'all'])).toEqual(
      ok('', 'Ethernet rules cleared\nrules cleared\nnat cleared\n0 tables deleted.\n'),
    );
    expect(host.run('pfctl', ['-a', 'stockade/web', '-F', 'all', '-q'])).toEqual(ok(''));
    expect(host.run('pfctl', ['-sA'])).toEqual(ok(''));
  });

  it('enables and disables (SAMPLES: pf enabled / already enabled)', () => {
    expect(host.run('pfctl', ['-e'])).toEqual(ok('', 'pf enabled\n'));
    expect(host.run('pfctl', ['-e'])).toEqual(fail('pfctl: pf already enabled\n'));
    expect(host.run('pfctl', ['-d'])).toEqual(ok('', 'pf disabled\n'));
    expect(host.run('pfctl', ['-d'])).toEqual(fail('pfctl: pf not enabled\n'));
  });

  it('lists anchors, hiding _ names unless -v (SAMPLES: -s Anchors)', () => {
    load('stockade/web', 'pass in all\n');
    load('stockade/db', 'pass in all\n');
    expect(host.run('pfctl', ['-s', 'Anchors'])).toEqual(ok('  stockade\n'));
    expect(host.run('pfctl', ['-a', 'stockade', '-s', 'Anchors'])).toEqual(
      ok('  stockade/db\n  stockade/web\n'),
    );
    expect(host.run('pfctl', ['-v', '-s', 'Anchors'])).toEqual(
      ok('  stockade\n  stockade/db\n  stockade/web\n'),
    );
    expect(host.run('pfctl', ['-a', 'nosuch', '-sA'])).toEqual(
      fail("Anchor 'nosuch' not found.\n"),
    );
  });

  it("refuses to modify anchors beginning with '_'", () => {
    expect(load('stockade/_x', 'pass in all\n')).toEqual(
      fail("pfctl: anchor names beginning with '_' cannot be modified from the command line\n"),
    );
  });

  it('loads the main ruleset with the stockade hooks', () => {
    expect(
      host.run('pfctl', ['-f', '-'], {
        input:
          'set skip on lo0\n' +
          'nat-anchor "stockade/*"\nrdr-anchor "stockade/*"\nanchor "stockade/*"\npass out all\n',
      }),
    ).toEqual(ok(''));
    expect(host.run('pfctl', ['-sr'])).toEqual(
      ok('anchor "stockade/*" all\npass out all flags S/SA keep state\n'),
    );
    expect(host.run('pfctl', ['-sn'])).toEqual(
      ok('nat-anchor "stockade/*" all\nrdr-anchor "stockade/*" all\n'),
    );
  });

  it('fails without pf loaded', () => {
    const env = { STOCKADE_SIM_NO_KLD: 'pf' };
    expect(host.run('pfctl', ['-e'], { env })).toEqual(
      fail('pfctl: /dev/pf: No such file or directory\n'),
    );
  });
});

describe('tables', () => {
  it('prints the count messages (SAMPLES: -T replace/show/add)', () => {
    expect(
      host.run('pfctl', ['-t', 'web_backends', '-T', 'replace', '10.77.0.2', '10.77.0.3']),
    ).toEqual(ok('', '1 table created.\n2 addresses added.\n'));
    expect(
      host.run('pfctl', ['-t', 'web_backends', '-T', 'replace', '10.77.0.2', '10.77.0.3']),
    ).toEqual(ok('', 'no changes.\n'));
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'show'])).toEqual(
      ok('   10.77.0.2\n   10.77.0.3\n'),
    );
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'add', '10.77.0.4'])).toEqual(
      ok('', '1/1 addresses added.\n'),
    );
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'replace', '10.77.0.2'])).toEqual(
      ok('', '2 addresses deleted.\n'),
    );
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'delete', '10.77.0.2'])).toEqual(
      ok('', '1/1 addresses deleted.\n'),
    );
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'kill'])).toEqual(
      ok('', '1 table deleted.\n'),
    );
    expect(host.run('pfctl', ['-t', 'web_backends', '-T', 'show'])).toEqual(
      fail('pfctl: Table does not exist.\n'),
    );
  });

  it('keeps tables per anchor', () => {
    host.run('pfctl', ['-a', 'stockade/web', '-t', 't', '-T', 'add', '10.0.0.1']);
    expect(host.run('pfctl', ['-a', 'stockade/web', '-t', 't', '-T', 'show'])).toEqual(
      ok('   10.0.0.1\n'),
    );
    expect(host.run('pfctl', ['-t', 't', '-T', 'show'])).toEqual(
      fail('pfctl: Table does not exist.\n'),
    );
  });
});
