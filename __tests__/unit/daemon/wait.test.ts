/** The wait for the daemon: the loop's decisions on a fake clock, and the ping it runs. */
import { describe, expect, it } from '@jest/globals';
import { type Probe, nextDelay, pingEnv, pollUntilReady, waitForDaemon } from '../../../src/daemon/wait.js';
import { failed, fakeClock, fakeSystem, ok } from './fakes.js';

const PING = ['nix', '--extra-experimental-features', 'nix-command', 'store', 'ping'];

describe('nextDelay', () => {
  it('backs off from 100 ms, doubling, to at most 1 s', () => {
    const delays: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 7; i++) delays.push((d = nextDelay(d)));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

describe('pollUntilReady', () => {
  const probes = (answers: Probe[], clock: ReturnType<typeof fakeClock>, costMs = 0) => {
    let i = 0;
    const remaining: number[] = [];
    const probe = (left: number): Promise<Probe> => {
      remaining.push(left);
      clock.advance(costMs);
      const answer = answers[Math.min(i++, answers.length - 1)];
      return Promise.resolve(answer ?? { ok: true });
    };
    return { probe, remaining };
  };

  it('is ready after N tries, sleeping the backoff in between', async () => {
    const clock = fakeClock();
    const no: Probe = { ok: false, error: 'refused' };
    const { probe } = probes([no, no, no, { ok: true }], clock, 10);
    const outcome = await pollUntilReady(probe, clock, 30_000);
    expect(outcome).toEqual({ ready: true, attempts: 4, elapsedMs: 740 });
    expect(clock.slept).toEqual([100, 200, 400]);
  });

  it('never ready: stops within the bound with the last error', async () => {
    const clock = fakeClock();
    let n = 0;
    const probe = (): Promise<Probe> => {
      clock.advance(50);
      return Promise.resolve({ ok: false, error: `refused #${++n}` });
    };
    const outcome = await pollUntilReady(probe, clock, 5000);
    expect(outcome.ready).toBe(false);
    if (outcome.ready) return;
    // Tries at 0, 150, 400, 850, 1700, 2750, 3800, 4850 (each takes 50 ms); one more sleep would pass 5 s.
    expect(outcome.elapsedMs).toBe(4900);
    expect(outcome.attempts).toBe(8);
    expect(outcome.lastError).toBe('refused #8');
    expect(n).toBe(8);
    expect(clock.slept).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('a final answer ends the wait at once', async () => {
    const clock = fakeClock();
    const { probe } = probes([{ ok: false, error: 'gone', final: true }], clock);
    expect(await pollUntilReady(probe, clock, 30_000)).toEqual({
      ready: false,
      attempts: 1,
      elapsedMs: 0,
      lastError: 'gone',
    });
    expect(clock.slept).toEqual([]);
  });

  it('tries once even with no time left, and tells each try what remains', async () => {
    const clock = fakeClock();
    const { probe, remaining } = probes([{ ok: false, error: 'x' }], clock, 300);
    const outcome = await pollUntilReady(probe, clock, 1000);
    expect(outcome.attempts).toBe(3);
    expect(remaining).toEqual([1000, 600, 100]);
    const none = probes([{ ok: false, error: 'x' }], clock);
    expect((await pollUntilReady(none.probe, clock, 0)).attempts).toBe(1);
  });
});

describe('pingEnv', () => {
  it("keeps the job's environment, goes through the daemon and its socket", () => {
    expect(pingEnv({ HOME: '/home/runner', NIX_REMOTE: 'local', GONE: undefined }, '/run/x.sock')).toEqual({
      HOME: '/home/runner',
      NIX_REMOTE: 'daemon',
      NIX_DAEMON_SOCKET_PATH: '/run/x.sock',
    });
    expect(pingEnv({ HOME: '/h' }, undefined)).toEqual({ HOME: '/h', NIX_REMOTE: 'daemon' });
  });
});

describe('waitForDaemon', () => {
  it("runs `nix store ping` as the job's user with a bounded timeout per try; reads Nix's error", async () => {
    const clock = fakeClock();
    const refused = "error: cannot connect to socket at '/tmp/s': No such file or directory\n";
    const sys = fakeSystem({
      platform: 'linux',
      clock,
      env: { HOME: '/home/runner', PATH: '/usr/bin' },
      commands: [
        { argv: PING, results: [failed(1, `Store URL: daemon\n${refused}`), ok('', 'Store URL: daemon\n')] },
      ],
    });
    const outcome = await waitForDaemon({ sys, clock }, { socket: '/tmp/s', timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ ready: true, attempts: 2 });
    expect(sys.calls[0]?.options).toEqual({
      env: { HOME: '/home/runner', PATH: '/usr/bin', NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: '/tmp/s' },
      timeoutMs: 10_000,
    });
    const never = fakeSystem({
      platform: 'linux',
      clock,
      commands: [{ argv: PING, results: [failed(1, refused)], costMs: 10 }],
    });
    const down = await waitForDaemon({ sys: never, clock }, { timeoutMs: 2000 });
    expect(down).toMatchObject({
      ready: false,
      lastError: "cannot connect to socket at '/tmp/s': No such file or directory",
    });
    expect(never.calls.at(-1)?.options?.timeoutMs).toBe(1000); // never less than 1 s, even at the end
  });

  it('asks `gone` after a failed ping and stops when the daemon cannot come up', async () => {
    const clock = fakeClock();
    const sys = fakeSystem({
      platform: 'linux',
      clock,
      commands: [{ argv: PING, results: [failed(1, 'error: refused\n')] }],
    });
    let asked = 0;
    const gone = () => Promise.resolve(++asked >= 2 ? 'process 9 has exited' : undefined);
    const outcome = await waitForDaemon({ sys, clock }, { gone });
    expect(outcome).toEqual({
      ready: false,
      attempts: 2,
      elapsedMs: 100,
      lastError: 'refused (process 9 has exited)',
    });
  });
});
