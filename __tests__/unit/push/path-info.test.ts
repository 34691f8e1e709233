import { describe, expect, it } from '@jest/globals';
import {
  ARGV_CHUNK_BYTES,
  chunkByBytes,
  parsePathInfoJson,
  queryPathInfo,
} from '../../../src/push/path-info.js';
import type { Exec, ExecOptions, ExecResult } from '../../../src/system/types.js';

// Recorded from Nix 2.8 through the daemon as an unprivileged user, for two `builder = "/bin/sh"`
// derivations: lib (no references) and app (references lib and itself).
const APP = '/nix/store/kbawkslym1x41c2r2q7k3vgqv0pygagx-nca-fixture-app';
const LIB = '/nix/store/msg4p2xzg59smlx8hm2f0cy39vgq6c3c-nca-fixture-lib';
const APP_DRV = '/nix/store/89cv2v5n406a5dxqn3vms17h1y0g1ky0-nca-fixture-app.drv';
const LIB_DRV = '/nix/store/5d96wqihbivsv84wh38jqidz5aimnc67-nca-fixture-lib.drv';
const GONE = '/nix/store/0000000000000000000000000000000z-nca-fixture-gone';
const GONE_DRV = `${GONE}.drv`;

const APP_JSON =
  '{"path":"/nix/store/kbawkslym1x41c2r2q7k3vgqv0pygagx-nca-fixture-app","narHash":"sha256-Ae0LP08Zq1fRD9HxnL8n+h8JCo2qUoKOTrzkIfkPb8o=","narSize":232,"references":["/nix/store/kbawkslym1x41c2r2q7k3vgqv0pygagx-nca-fixture-app","/nix/store/msg4p2xzg59smlx8hm2f0cy39vgq6c3c-nca-fixture-lib"],"deriver":"/nix/store/89cv2v5n406a5dxqn3vms17h1y0g1ky0-nca-fixture-app.drv","registrationTime":1795244971,"ultimate":true}';
const LIB_JSON =
  '{"path":"/nix/store/msg4p2xzg59smlx8hm2f0cy39vgq6c3c-nca-fixture-lib","narHash":"sha256-I79ABM/MuMklSzsTwQ5m1xiPdq97No4hi6vpgVmYnw8=","narSize":120,"references":[],"deriver":"/nix/store/5d96wqihbivsv84wh38jqidz5aimnc67-nca-fixture-lib.drv","registrationTime":1795244971,"ultimate":true}';
const LIB_DRV_JSON =
  '{"path":"/nix/store/5d96wqihbivsv84wh38jqidz5aimnc67-nca-fixture-lib.drv","narHash":"sha256-I3syKEtMHZgPf+/zbKXyODgu7Sv324w1c5JKIfjSOdE=","narSize":400,"references":[],"ca":"text:sha256:1glffbqlfm7a8qzpr8sijkcm38l2szi0w84x41mhc2582p0bly8y","registrationTime":1795244971}';
const APP_DRV_JSON =
  '{"path":"/nix/store/89cv2v5n406a5dxqn3vms17h1y0g1ky0-nca-fixture-app.drv","narHash":"sha256-5movMvOjjQyNojmfdsabyF8RIPVoLTqr6CRknljz3GI=","narSize":536,"references":["/nix/store/5d96wqihbivsv84wh38jqidz5aimnc67-nca-fixture-lib.drv"],"ca":"text:sha256:1r2k0mn89ma1vj5hm4dg3w9x4niwpjm1n5c2i8qmjgkhazwnxhh6","registrationTime":1795244971}';

const ok = (stdout: string, stderr = ''): ExecResult => ({ code: 0, stdout, stderr });
const NOT_BUILDABLE = `don't know how to build these paths:\n  ${GONE}\n`;

/** `nix …` argv → recorded result, as Nix 2.8 answered. */
const RECORDED: Record<string, ExecResult> = {
  [`path-info --json ${APP}`]: ok(`[${APP_JSON}]`),
  [`path-info --json -r ${APP}`]: ok(`[${APP_JSON},${LIB_JSON}]`),
  [`path-info --json ${APP} ${GONE}`]: ok(`[{"path":"${GONE}","valid":false},${APP_JSON}]`, NOT_BUILDABLE),
  [`path-info --json -r ${APP} ${GONE}`]: {
    code: 1,
    stdout: '',
    stderr: `${NOT_BUILDABLE}error: path '${GONE}' is not valid\n`,
  },
  [`path-info --json -r --derivation ${APP_DRV}`]: ok(`[${LIB_DRV_JSON},${APP_DRV_JSON}]`),
  [`path-info --json -r --derivation ${APP_DRV} ${GONE_DRV}`]: {
    code: 1,
    stdout: '',
    stderr: `error: path '${GONE_DRV}' is not a valid store path\n`,
  },
  [`--check-validity --print-invalid ${APP} ${GONE}`]: ok(`${GONE}\n`),
  [`--check-validity --print-invalid ${APP_DRV} ${GONE_DRV}`]: ok(`${GONE_DRV}\n`),
};

interface Call {
  readonly command: string;
  readonly args: readonly string[];
  readonly options: ExecOptions | undefined;
}

/** A fake Exec answering from `answer` (by default the recordings) and keeping the calls. */
function fakeExec(answer: (command: string, args: readonly string[]) => ExecResult = recorded): {
  exec: Exec;
  calls: Call[];
} {
  const calls: Call[] = [];
  return {
    calls,
    exec: {
      run(command, args, options) {
        calls.push({ command, args, options });
        return Promise.resolve(answer(command, args));
      },
    },
  };
}

function recorded(command: string, args: readonly string[]): ExecResult {
  const rest = command === 'nix' ? stripFeatures(args) : args;
  const result = RECORDED[rest.join(' ')];
  if (!result) throw new Error(`no recording for ${command} ${rest.join(' ')}`);
  return result;
}

function stripFeatures(args: readonly string[]): readonly string[] {
  expect(args.slice(0, 2)).toEqual(['--extra-experimental-features', 'nix-command']);
  return args.slice(2);
}

/** `n` written in Nix's base-32 alphabet, 32 characters. */
function nixBase32(n: number): string {
  const alphabet = '0123456789abcdfghijklmnpqrsvwxyz';
  let out = '';
  for (let v = n; v > 0; v = Math.floor(v / 32)) out = `${alphabet[v % 32] ?? ''}${out}`;
  return out.padStart(32, '0');
}

const paths = (infos: readonly { path: string }[]): string[] => infos.map((i) => i.path);

describe('parsePathInfoJson', () => {
  it('reads the list Nix 2.8 prints, invalid paths marked "valid": false', () => {
    const out = parsePathInfoJson(`[{"path":"${GONE}","valid":false},${APP_JSON}]`);
    expect(out.invalid).toEqual([GONE]);
    expect(out.valid).toEqual([
      {
        path: APP,
        narHash: 'sha256-Ae0LP08Zq1fRD9HxnL8n+h8JCo2qUoKOTrzkIfkPb8o=',
        narSize: 232,
        references: [APP, LIB],
        deriver: APP_DRV,
      },
    ]);
    expect(parsePathInfoJson(`[${LIB_DRV_JSON}]`).valid[0]).not.toHaveProperty('deriver');
  });

  it('reads the object keyed by path of Nix 2.19 on, null for invalid paths', () => {
    const { path: _, ...app } = JSON.parse(APP_JSON) as Record<string, unknown>;
    const out = parsePathInfoJson(JSON.stringify({ [APP]: app, [GONE]: null, storeDir: '/nix/store' }));
    expect(out.invalid).toEqual([GONE]);
    expect(out.valid).toMatchObject([{ path: APP, narSize: 232, references: [APP, LIB], deriver: APP_DRV }]);
  });

  it('reads format 2 (Nix 2.33 on): base names made full paths with storeDir', () => {
    const base = (p: string): string => p.slice('/nix/store/'.length);
    const json = {
      version: 2,
      storeDir: '/nix/store',
      info: {
        [base(APP)]: {
          narHash: 'sha256-Ae0LP08Zq1fRD9HxnL8n+h8JCo2qUoKOTrzkIfkPb8o=',
          narSize: 232,
          references: [base(APP), base(LIB)],
          deriver: base(APP_DRV),
          ca: null,
        },
        [base(GONE)]: null,
      },
    };
    const out = parsePathInfoJson(JSON.stringify(json));
    expect(out.invalid).toEqual([GONE]);
    expect(out.valid).toEqual([
      {
        path: APP,
        narHash: 'sha256-Ae0LP08Zq1fRD9HxnL8n+h8JCo2qUoKOTrzkIfkPb8o=',
        narSize: 232,
        references: [APP, LIB],
        deriver: APP_DRV,
      },
    ]);
  });

  it('rejects output it cannot read', () => {
    expect(() => parsePathInfoJson('not json')).toThrow();
    expect(() => parsePathInfoJson('"text"')).toThrow(/neither a list nor an object/);
    expect(() => parsePathInfoJson(`[{"path":"${APP}","narSize":1,"references":[]}]`)).toThrow(/narHash/);
    expect(() => parsePathInfoJson(`[{"narHash":"x"}]`)).toThrow(/no path/);
  });
});

describe('chunkByBytes', () => {
  it('keeps each chunk within the byte budget, in order, losing nothing', () => {
    const items = Array.from({ length: 1000 }, (_, i) => `/nix/store/${String(i).padStart(32, '0')}-p${i}`);
    const chunks = chunkByBytes(items, 5000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(items);
    for (const chunk of chunks) expect(chunk.reduce((n, s) => n + s.length + 1, 0)).toBeLessThanOrEqual(5000);
    expect(chunkByBytes([])).toEqual([]);
    expect(chunkByBytes(['x'.repeat(10)], 5)).toEqual([['x'.repeat(10)]]);
  });
});

describe('queryPathInfo', () => {
  it('asks once without -r and sets invalid paths apart', async () => {
    const { exec, calls } = fakeExec();
    const out = await queryPathInfo(exec, [APP, GONE, APP], { closure: false });
    expect(paths(out.valid)).toEqual([APP]);
    expect(out.invalid).toEqual([GONE]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe('nix');
  });

  it('returns the closure with -r', async () => {
    const { exec } = fakeExec();
    const out = await queryPathInfo(exec, [APP], { closure: true });
    expect(paths(out.valid)).toEqual([APP, LIB]);
    expect(out.invalid).toEqual([]);
  });

  it('when one invalid path fails a closure query, finds it with nix-store and asks again for the rest', async () => {
    const { exec, calls } = fakeExec();
    const out = await queryPathInfo(exec, [APP, GONE], { closure: true });
    expect(paths(out.valid)).toEqual([APP, LIB]);
    expect(out.invalid).toEqual([GONE]);
    expect(calls.map((c) => c.command)).toEqual(['nix', 'nix-store', 'nix']);
  });

  it('asks about .drv paths with --derivation, apart from other paths', async () => {
    const { exec, calls } = fakeExec();
    const out = await queryPathInfo(exec, [APP_DRV, APP, GONE_DRV], { closure: true });
    expect(paths(out.valid)).toEqual([LIB_DRV, APP_DRV, APP, LIB]);
    expect(out.invalid).toEqual([GONE_DRV]);
    const drvCalls = calls.filter((c) => c.args.includes('--derivation'));
    expect(drvCalls.every((c) => !c.args.includes(APP))).toBe(true);
  });

  it('never hands nix something that is not a store path', async () => {
    const { exec, calls } = fakeExec();
    const out = await queryPathInfo(exec, ['/tmp/x', 'relative', '/nix/store/abc', APP], { closure: false });
    expect(out.invalid).toEqual(['/nix/store/abc', '/tmp/x', 'relative']);
    expect(calls.flatMap((c) => c.args).filter((a) => a.startsWith('/') && a !== APP)).toEqual([]);
    expect((await queryPathInfo(fakeExec().exec, [], { closure: true })).valid).toEqual([]);
  });

  it('passes the environment and a timeout to every command', async () => {
    const { exec, calls } = fakeExec();
    const env = { NIX_REMOTE: 'daemon', PATH: '/usr/bin' };
    await queryPathInfo(exec, [APP, GONE], { closure: true, env });
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.options?.env).toBe(env);
      expect(call.options?.timeoutMs).toBeGreaterThan(0);
    }
    await queryPathInfo(exec, [APP], { closure: false });
    expect(calls[3]?.options).not.toHaveProperty('env');
  });

  it("fails with the end of nix's stderr when the command fails for another reason", async () => {
    const stderr = `${Array.from({ length: 20 }, (_, i) => `noise ${i}`).join('\n')}\nerror: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused\n\n`;
    const { exec, calls } = fakeExec((command) =>
      command === 'nix' ? { code: 1, stdout: '', stderr } : ok(''),
    );
    const error = await queryPathInfo(exec, [APP], { closure: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^nix path-info failed \(exit code 1\): /);
    expect(message).toMatch(/Connection refused$/);
    expect(message).not.toContain('noise 0');
    expect(calls.map((c) => c.command)).toEqual(['nix', 'nix-store']);
  });

  it('fails when nix prints JSON it cannot read', async () => {
    const { exec } = fakeExec(() => ok('{"oops": '));
    await expect(queryPathInfo(exec, [APP], { closure: false })).rejects.toThrow(/cannot read/);
  });

  it('counts an asked-for path that the output leaves out as invalid', async () => {
    const { exec } = fakeExec(() => ok('[]'));
    expect(await queryPathInfo(exec, [APP], { closure: false })).toEqual({ valid: [], invalid: [APP] });
  });

  it('splits thousands of paths into argv chunks and merges overlapping closures once each', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => `/nix/store/${nixBase32(i)}-nca-fixture-${i}`);
    const common = LIB;
    const { exec, calls } = fakeExec((_command, args) => {
      const asked = args.filter((a) => a.startsWith('/nix/store/'));
      const infos = asked.map((path) => ({ path, narHash: 'sha256-x', narSize: 1, references: [common] }));
      return ok(JSON.stringify([...infos, JSON.parse(LIB_JSON) as unknown]));
    });
    const out = await queryPathInfo(exec, many, { closure: true });
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      expect(call.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0)).toBeLessThan(
        ARGV_CHUNK_BYTES + 200,
      );
    }
    expect(out.valid).toHaveLength(many.length + 1);
    expect(new Set(paths(out.valid)).size).toBe(many.length + 1);
    expect(paths(out.valid)).toEqual([...paths(out.valid)].sort());
  });
});
