import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../../../../src/util/errors.js';
import { parseSessionName, sessionName } from '../../../../src/login/aws/validate.js';

/** What STS accepts as RoleSessionName. */
const VALID = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

const run = (repo: string | undefined, id = '4242', attempt = '1') => ({
  GITHUB_REPOSITORY: repo,
  GITHUB_RUN_ID: id,
  GITHUB_RUN_ATTEMPT: attempt,
});

describe('sessionName', () => {
  it('names the repository and the run', () => {
    expect(sessionName(run('octo/repo'))).toBe('gh-octo-repo-4242-1');
    expect(sessionName(run('octo-org/octo.repo_2', '10000000001', '3'))).toBe(
      'gh-octo-org-octo.repo_2-10000000001-3',
    );
  });

  it.each([
    ['a repository with characters STS refuses', run('ünïcødé/répo näme!'), 'gh-n-c-d-r-po-n-me-4242-1'],
    ['only refused characters', run('ü/ö'), 'gh-4242-1'],
    ['no repository', run(undefined), 'gh-4242-1'],
    ['no run', { GITHUB_REPOSITORY: 'octo/repo' }, 'gh-octo-repo'],
    ['nothing at all', {}, 'gh-nix-cache-action'],
    ['odd run values', run('o/r', ' 12 34 ', '#1'), 'gh-o-r-12-34-1'],
  ])('stays valid for %s', (_what, env, expected) => {
    const name = sessionName(env);
    expect(name).toBe(expected);
    expect(name).toMatch(VALID);
  });

  it('shortens a long repository name and keeps the run', () => {
    const name = sessionName(
      run(
        `an-organisation-with-a-long-name/${'a-very-long-repository-name-'.repeat(3)}`,
        '10123456789',
        '12',
      ),
    );
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(VALID);
    expect(name).toMatch(/^gh-an-organisation-with-a-long-name-a-very-.*-10123456789-12$/);
    expect(name).not.toMatch(/--/);
  });

  it('never ends the shortened part with a dash', () => {
    // the cut lands right after a '/', which becomes '-'
    const owner = 'o'.repeat(64 - 'gh-'.length - '-4242-1'.length - 1);
    const name = sessionName(run(`${owner}/repo`));
    expect(name).toBe(`gh-${owner}-4242-1`);
  });

  it('bounds absurd run values too', () => {
    const name = sessionName(run('o/r', '9'.repeat(100), '9'.repeat(100)));
    expect(name).toMatch(VALID);
  });
});

describe('parseSessionName', () => {
  it('accepts 2 to 64 allowed characters; empty gives undefined', () => {
    expect(parseSessionName('role-session-name', 'ab')).toBe('ab');
    expect(parseSessionName('role-session-name', ' a.b@c=d,e+f-g_h ')).toBe('a.b@c=d,e+f-g_h');
    expect(parseSessionName('role-session-name', 'x'.repeat(64))).toBe('x'.repeat(64));
    expect(parseSessionName('role-session-name', '')).toBeUndefined();
  });

  it.each([
    [
      'a',
      "Input 'role-session-name' is 1 character long; expected 2 to 64 of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy).",
    ],
    [
      'x'.repeat(65),
      "Input 'role-session-name' is 65 characters long; expected 2 to 64 of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy).",
    ],
    [
      'my session',
      "Input 'role-session-name' contains a space at position 3; expected 2 to 64 of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy).",
    ],
    [
      'deploy/prod',
      "Input 'role-session-name' contains '/' at position 7; expected 2 to 64 of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy).",
    ],
    [
      'café',
      "Input 'role-session-name' contains a non-ASCII character at position 4; expected 2 to 64 of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy).",
    ],
  ])('rejects %j', (value, message) => {
    expect(() => parseSessionName('role-session-name', value)).toThrow(new ActionError(message));
  });
});
