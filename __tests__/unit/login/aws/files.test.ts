import { describe, expect, it } from '@jest/globals';
import {
  AWS_PROFILE_NAME,
  withoutProfile,
  withProfile,
  withProfileConfig,
} from '../../../../src/login/aws/files.js';

const P = AWS_PROFILE_NAME;
const S1 = { accessKeyId: 'ASIAONE', secretAccessKey: 'se/cr+et=1', sessionToken: 'IQoJtoken1==' };
const S2 = { accessKeyId: 'ASIATWO', secretAccessKey: 'se/cr+et=2', sessionToken: 'IQoJtoken2==' };
const ours = (s: typeof S1, eol = '\n') =>
  [
    `[${P}]`,
    `aws_access_key_id = ${s.accessKeyId}`,
    `aws_secret_access_key = ${s.secretAccessKey}`,
    `aws_session_token = ${s.sessionToken}`,
  ]
    .map((l) => `${l}${eol}`)
    .join('');

/** A credentials file as people write them: comments, odd spacing, a section without final newline. */
const CREDENTIALS =
  '# managed by hand\n[default]\naws_access_key_id=AKIADEFAULT\naws_secret_access_key =  keep  me \n\n' +
  '; production\n[ prod ]   # the real one\naws_access_key_id = AKIAPROD\n\taws_secret_access_key=x\n\n[nix-cache-action-2]\nk=v';

describe('withProfile (credentials file)', () => {
  it('creates the file, and appends to one without our section, leaving it as it was', () => {
    expect(withProfile(undefined, P, S1)).toBe(ours(S1));
    expect(withProfile('', P, S1)).toBe(ours(S1));
    expect(withProfile('[default]\na=b\n', P, S1)).toBe(`[default]\na=b\n\n${ours(S1)}`);
    const out = withProfile(CREDENTIALS, P, S1);
    expect(out).toBe(`${CREDENTIALS}\n\n${ours(S1)}`);
  });

  it('replaces only our section, wherever it is, and twice gives it once', () => {
    const before = '[default]\nx = 1\n';
    const after = '# next\n[other]\ny = 2\n';
    const text = `${before}\n[${P}]\naws_access_key_id = OLD\nstale = line\n\n${after}`;
    const once = withProfile(text, P, S1);
    expect(once).toBe(`${before}\n${ours(S1)}\n${after}`);
    const twice = withProfile(once, P, S2);
    expect(twice).toBe(`${before}\n${ours(S2)}\n${after}`);
    expect(twice.match(/\[nix-cache-action\]/g)).toHaveLength(1);
    expect(withProfile(withProfile(CREDENTIALS, P, S1), P, S2)).toBe(withProfile(CREDENTIALS, P, S2));
  });

  it('merges duplicates of our section into the first one', () => {
    const text = `[${P}]\na=1\n[default]\nb=2\n[ ${P} ]\nc=3\n`;
    expect(withProfile(text, P, S1)).toBe(`${ours(S1)}[default]\nb=2\n`);
  });

  it('never touches default or a profile with a similar name', () => {
    const text =
      '[default]\naws_access_key_id = A\n[nix-cache-action-2]\nk = v\n[profile nix-cache-action]\nz = 1\n';
    const out = withProfile(text, P, S1);
    expect(out.startsWith(text)).toBe(true);
  });

  it('keeps CRLF files CRLF', () => {
    const text = '[default]\r\na = b\r\n';
    expect(withProfile(text, P, S1)).toBe(`${text}\r\n${ours(S1, '\r\n')}`);
  });

  it('refuses values a credentials file cannot hold, without showing them', () => {
    expect(() => withProfile('', P, { ...S1, sessionToken: 'line\nbreak' })).toThrow(
      "the session's session token is empty or has characters a credentials file cannot hold",
    );
    expect(() => withProfile('', P, { ...S1, secretAccessKey: '' })).toThrow(/secret access key/);
    expect(() => withProfile('', 'default', S1)).toThrow(/not a profile name/);
    expect(() => withProfile('', 'a]b', S1)).toThrow(/not a profile name/);
  });
});

describe('withProfileConfig (config file)', () => {
  it('writes [profile NAME] with the region, keeping everything else', () => {
    const text = '[default]\nregion = us-east-1\n\n[profile other]\nregion = eu-west-1\noutput = json\n';
    const out = withProfileConfig(text, P, 'eu-central-1');
    expect(out).toBe(`${text}\n[profile ${P}]\nregion = eu-central-1\n`);
    expect(withProfileConfig(out, P, 'us-gov-west-1')).toBe(
      `${text}\n[profile ${P}]\nregion = us-gov-west-1\n`,
    );
  });

  it('recognises our header with other spacing, and leaves a bare [name] alone', () => {
    const text = `[  profile   ${P} ]\nregion = x\n[${P}]\nregion = y\n`;
    expect(withProfileConfig(text, P, 'eu-west-1')).toBe(
      `[profile ${P}]\nregion = eu-west-1\n[${P}]\nregion = y\n`,
    );
  });

  it('refuses a region that is not one', () => {
    expect(() => withProfileConfig('', P, 'eu west')).toThrow(/not a region/);
  });
});

describe('withoutProfile', () => {
  it('undoes withProfile exactly for files that ended with a newline', () => {
    for (const text of ['', '[default]\na=b\n', '[default]\r\na=b\r\n', CREDENTIALS + '\n']) {
      expect(withoutProfile(withProfile(text, P, S1), P)).toBe(text);
      expect(withoutProfile(withProfileConfig(text, P, 'eu-west-1'), P)).toBe(text);
    }
  });

  it('adds only the final newline to a file that had none', () => {
    expect(withoutProfile(withProfile(CREDENTIALS, P, S1), P)).toBe(`${CREDENTIALS}\n`);
  });

  it('removes our section in the middle and keeps the comments of the next one', () => {
    const text = `[default]\na=b\n\n[${P}]\naws_access_key_id = X\n\n# next one\n[other]\nc=d\n`;
    expect(withoutProfile(text, P)).toBe('[default]\na=b\n\n\n# next one\n[other]\nc=d\n');
  });

  it('removes every copy, in either form, and nothing when there is none', () => {
    const text = `[${P}]\na=1\n[default]\nb=2\n[profile ${P}]\nregion=x\n`;
    expect(withoutProfile(text, P)).toBe('[default]\nb=2\n');
    const untouched = '[default]\nb=2\n[nix-cache-action-2]\nc=3';
    expect(withoutProfile(untouched, P)).toBe(untouched);
  });
});
