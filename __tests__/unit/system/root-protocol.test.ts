/** The root helper's protocol: requests validated, performed by the operations given, answered as JSON. */
import { describe, expect, it } from '@jest/globals';
import type { RootOperations } from '../../../src/system/privileged.js';
import { parseAnswer, parseRequest, serve } from '../../../src/system/root-protocol.js';

function recordingOps(): RootOperations & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    readFile: (path) => (
      calls.push(['readFile', path]),
      Promise.resolve(path === '/missing' ? undefined : 'text')
    ),
    statFile: (path) => (calls.push(['statFile', path]), Promise.resolve({ mode: 0o644, uid: 0, gid: 0 })),
    writeFile: (path, content, mode) => (calls.push(['writeFile', path, content, mode]), Promise.resolve()),
    removeFile: (path) => (calls.push(['removeFile', path]), Promise.resolve()),
    run: (command, args, options) => (
      calls.push(['run', command, args, options]),
      Promise.resolve({ code: 0, stdout: 'out', stderr: '' })
    ),
    restartProcess: (pid, options) => (
      calls.push(['restartProcess', pid, options]),
      Promise.reject(new Error(`process ${pid} did not come back`))
    ),
  };
}

describe('parseRequest', () => {
  it('accepts each operation with its fields', () => {
    expect(parseRequest('{"op":"readFile","path":"/etc/nix/nix.conf"}')).toEqual({
      op: 'readFile',
      path: '/etc/nix/nix.conf',
    });
    expect(parseRequest('{"op":"writeFile","path":"/a","base64":"eA==","mode":384}')).toEqual({
      op: 'writeFile',
      path: '/a',
      base64: 'eA==',
      mode: 0o600,
    });
    expect(parseRequest('{"op":"run","command":"systemctl","args":["restart","x"],"timeoutMs":5}')).toEqual({
      op: 'run',
      command: 'systemctl',
      args: ['restart', 'x'],
      timeoutMs: 5,
    });
    expect(parseRequest('{"op":"restartProcess","pid":42,"stopTimeoutMs":1000}')).toEqual({
      op: 'restartProcess',
      pid: 42,
      stopTimeoutMs: 1000,
    });
  });

  it.each([
    ['not JSON', 'x', /JSON/],
    ['an array', '[]', /not an object/],
    ['an unknown op', '{"op":"chmod","path":"/a"}', /unknown op "chmod"/],
    ['a relative path', '{"op":"readFile","path":"etc/nix.conf"}', /bad "path"/],
    ['a mode that is not a number', '{"op":"writeFile","path":"/a","base64":"","mode":"644"}', /bad "mode"/],
    ['args that are not strings', '{"op":"run","command":"x","args":[1]}', /bad "args"/],
    ['a negative pid', '{"op":"restartProcess","pid":-1,"stopTimeoutMs":1}', /bad "pid"/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseRequest(text)).toThrow(message);
  });
});

describe('serve', () => {
  it('decodes file contents from base64 and performs the operation once', async () => {
    const ops = recordingOps();
    const secret = Buffer.from('machine cache.example.org password hunter2\n');
    const answer = await serve(
      ops,
      JSON.stringify({
        op: 'writeFile',
        path: '/root/.netrc',
        base64: secret.toString('base64'),
        mode: 0o600,
      }),
    );
    expect(answer).toEqual({ ok: true, value: null });
    expect(ops.calls).toEqual([['writeFile', '/root/.netrc', secret, 0o600]]);
  });

  it('answers values, null for undefined, and errors as messages', async () => {
    const ops = recordingOps();
    expect(await serve(ops, '{"op":"readFile","path":"/missing"}')).toEqual({ ok: true, value: null });
    expect(await serve(ops, '{"op":"run","command":"id","args":[],"input":"in"}')).toEqual({
      ok: true,
      value: { code: 0, stdout: 'out', stderr: '' },
    });
    expect(ops.calls.at(-1)).toEqual(['run', 'id', [], { input: 'in' }]);
    expect(await serve(ops, '{"op":"restartProcess","pid":7,"stopTimeoutMs":10,"settleMs":5}')).toEqual({
      ok: false,
      error: 'process 7 did not come back',
    });
    expect(ops.calls.at(-1)).toEqual(['restartProcess', 7, { stopTimeoutMs: 10, settleMs: 5 }]);
    expect(await serve(ops, '{"op":"nope"}')).toEqual({
      ok: false,
      error: 'malformed root helper request: unknown op "nope"',
    });
  });
});

describe('parseAnswer', () => {
  it('reads an answer, and nothing from other output', () => {
    expect(parseAnswer('{"ok":true,"value":null}\n')).toEqual({ ok: true, value: null });
    expect(parseAnswer('{"ok":false,"error":"x"}')).toEqual({ ok: false, error: 'x' });
    expect(parseAnswer('')).toBeUndefined();
    expect(parseAnswer('sudo: a password is required')).toBeUndefined();
    expect(parseAnswer('{"ok":true}')).toBeUndefined();
    expect(parseAnswer('null')).toBeUndefined();
  });
});
