// SPDX-License-Identifier: BSD-2-Clause
// rc.d/stockade: POSIX syntax, and its start command and config check run against a stub of
// rc.subr (the real one exists only on FreeBSD).
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { tempDir } from '../run/helpers.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../rc.d/stockade');

/** rc.subr stand-in: records what run_rc_command would start, runs extra commands. */
const STUB = `
load_rc_config() { :; }
err() { code=$1; shift; echo "$*" >&2; exit "$code"; }
run_rc_command() {
	case "$1" in
	show) echo "command=$command"; echo "procname=$procname"; echo "pidfile=$pidfile"
	      echo "args=$command_args"; echo "required=$required_files" ;;
	configtest) $configtest_cmd ;;
	esac
}
`;

async function stubbed(node: string): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'rc.subr'), STUB);
  const script = (await readFile(SCRIPT, 'utf8')).replace('. /etc/rc.subr', `. ${dir}/rc.subr`);
  await writeFile(join(dir, 'stockade'), script);
  await writeFile(join(dir, 'node'), `#!/bin/sh\n${node}\n`);
  await chmod(join(dir, 'node'), 0o755);
  return dir;
}

describe('rc.d/stockade', () => {
  it('is valid POSIX sh', async () => {
    await expect(run('sh', ['-n', SCRIPT])).resolves.toMatchObject({ stderr: '' });
  });

  it('orders after zfs, networking and pf, and supervises node with daemon(8)', async () => {
    const dir = await stubbed('exit 0');

    const { stdout } = await run('sh', [join(dir, 'stockade'), 'show'], {
      env: { PATH: process.env['PATH'], stockade_node: join(dir, 'node'), stockade_main: '/m.js' },
    });

    expect(await readFile(SCRIPT, 'utf8')).toContain('# REQUIRE: zfs NETWORKING pf\n');
    expect(stdout.split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
      'command=/usr/sbin/daemon',
      'procname=/usr/sbin/daemon',
      'pidfile=/var/run/stockade.pid',
      `args=-H -o /var/log/stockade.log -P /var/run/stockade.pid -p /var/run/stockade.child.pid -r -t stockade ${dir}/node /m.js run -c /usr/local/etc/stockade.yaml`,
      'required=/usr/local/etc/stockade.yaml',
      '',
    ]);
  });

  it('refuses to start with a config the CLI rejects', async () => {
    const good = await stubbed('echo "$@" > "$(dirname "$0")/argv"; exit 0');
    const bad = await stubbed('exit 78');
    const env = (dir: string) => ({
      PATH: process.env['PATH'],
      stockade_node: join(dir, 'node'),
      stockade_main: '/m.js',
      stockade_config: '/c.yaml',
    });

    await run('sh', [join(good, 'stockade'), 'configtest'], { env: env(good) });
    const failed = await run('sh', [join(bad, 'stockade'), 'configtest'], { env: env(bad) }).catch(
      (e: unknown) => e,
    );

    expect(await readFile(join(good, 'argv'), 'utf8')).toBe(
      '/m.js run --check-config -c /c.yaml\n',
    );
    expect(failed).toMatchObject({ code: 1, stderr: '/c.yaml is not a valid Stockade config.\n' });
  });
});
