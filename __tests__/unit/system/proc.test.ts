/** /proc parsers and finding a process's executable as the shell would. */
import { describe, expect, it } from '@jest/globals';
import { parseEnviron, parseProcStat, resolveExecutable } from '../../../src/system/proc.js';

describe('parseProcStat', () => {
  it('reads state, ppid, session and start time, whatever the command name holds', () => {
    // Recorded on the test bed: a nix-daemon started with setsid (its own session), parent gone to pid 1.
    const stat =
      '7008 (nix-daemon) S 1 7008 7008 0 -1 4194560 1667 2315 0 0 1 1 0 1 20 0 2 0 249909 487223296 5249 ' +
      '18446744073709551615 93881195581440 93881197689361 140734065710064 0 0 0 134238211 0 545326592 0 0 0 17 1 0 0 ' +
      '0 0 0 93881198236000 93881198421184 93881712099328 140734065717075 140734065717116 140734065717116 140734065717220 0';
    expect(parseProcStat(stat)).toEqual({ state: 'S', ppid: 1, sid: 7008, starttime: '249909' });
    const odd = stat.replace('(nix-daemon)', '(a) b (c)').replace(') S ', ') Z ');
    expect(parseProcStat(odd)).toMatchObject({ state: 'Z', starttime: '249909' });
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1 2')).toBeUndefined();
  });
});

describe('parseEnviron', () => {
  it('splits NUL-separated NAME=value; values may hold "=" ; the first of a name wins', () => {
    expect(parseEnviron('PATH=/usr/bin:/bin\0HOME=/root\0X=a=b\0\0junk\0=v\0PATH=/other\0')).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/root',
      X: 'a=b',
    });
    expect(parseEnviron('')).toEqual({});
  });
});

describe('resolveExecutable', () => {
  const present = new Set([
    '/usr/bin/nix-daemon',
    '/nix/var/nix/profiles/default/bin/nix-daemon',
    '/srv/bin/tool',
  ]);
  const isExecutable = (file: string) => Promise.resolve(present.has(file));

  it('keeps an absolute argv[0] that exists', async () => {
    expect(await resolveExecutable('/usr/bin/nix-daemon', undefined, '/', isExecutable)).toBe(
      '/usr/bin/nix-daemon',
    );
    expect(await resolveExecutable('/gone/nix-daemon', '/usr/bin', '/', isExecutable)).toBeUndefined();
  });

  it("searches the process's own PATH, in order", async () => {
    expect(
      await resolveExecutable('nix-daemon', '/nix/var/nix/profiles/default/bin:/usr/bin', '/', isExecutable),
    ).toBe('/nix/var/nix/profiles/default/bin/nix-daemon');
    expect(await resolveExecutable('nix-daemon', '/usr/local/bin:/usr/bin', '/', isExecutable)).toBe(
      '/usr/bin/nix-daemon',
    );
    expect(await resolveExecutable('nix-daemon', '/opt/bin', '/', isExecutable)).toBeUndefined();
  });

  it('uses /bin:/usr/bin without a PATH, and the cwd for relative names and empty PATH entries', async () => {
    expect(await resolveExecutable('nix-daemon', undefined, '/', isExecutable)).toBe('/usr/bin/nix-daemon');
    expect(await resolveExecutable('bin/tool', undefined, '/srv', isExecutable)).toBe('/srv/bin/tool');
    expect(await resolveExecutable('./bin/tool', undefined, undefined, isExecutable)).toBeUndefined();
    expect(await resolveExecutable('tool', '/x::/y', '/srv/bin', isExecutable)).toBe('/srv/bin/tool');
    expect(await resolveExecutable('', '/usr/bin', '/', isExecutable)).toBeUndefined();
  });
});
