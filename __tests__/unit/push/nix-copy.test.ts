/** The `nix copy` command line and the reader of its internal-json log, on logs recorded from Nix 2.8. */
import { describe, expect, it } from '@jest/globals';
import { MAX_PATHS_PER_COPY } from '../../../src/push/batches.js';
import { cleanMessage, type CopyEvent, NixCopyLog, nixCopyArgs } from '../../../src/push/nix-copy.js';

const P0 = '/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0';
const P1 = '/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1';
const P2 = '/nix/store/pd7smg1iivjf5slqzv62h0yrsdwyazg9-copier-exp-2';
const O0 = '/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0';
const O1 = '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1';

// Recorded with `nix copy` (nixCopyArgs) to __tests__/servers/cache.ts; progress results (type 105),
// downloads and the local store's opening activities left out.
/** Three paths, references first; the second NAR PUT answered 500. */
const PARTIAL = String.raw`
@nix {"action":"start","id":63857573756930,"level":0,"text":"","type":103}
@nix {"action":"start","id":63857573756931,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":63857573756931}
@nix {"action":"stop","id":63857573756930}
@nix {"action":"start","fields":["/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1","http://127.0.0.1:33027"],"id":36026185678849,"level":4,"text":"querying info about '/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1' on 'http://127.0.0.1:33027'","type":109}
@nix {"action":"start","fields":["/nix/store/pd7smg1iivjf5slqzv62h0yrsdwyazg9-copier-exp-2","http://127.0.0.1:33027"],"id":36026185678851,"level":4,"text":"querying info about '/nix/store/pd7smg1iivjf5slqzv62h0yrsdwyazg9-copier-exp-2' on 'http://127.0.0.1:33027'","type":109}
@nix {"action":"start","fields":["/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0","http://127.0.0.1:33027"],"id":36026185678853,"level":4,"text":"querying info about '/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0' on 'http://127.0.0.1:33027'","type":109}
@nix {"action":"stop","id":36026185678848}
@nix {"action":"stop","id":36026185678849}
@nix {"action":"stop","id":36026185678850}
@nix {"action":"stop","id":36026185678851}
@nix {"action":"stop","id":36026185678852}
@nix {"action":"stop","id":36026185678853}
@nix {"action":"stop","id":36026185678854}
@nix {"action":"start","id":36026185678855,"level":3,"text":"copying 3 paths","type":103}
@nix {"action":"start","fields":["/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0","daemon","http://127.0.0.1:33027"],"id":36026185678856,"level":3,"text":"copying path '/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0' to 'http://127.0.0.1:33027'","type":100}
@nix {"action":"msg","level":4,"msg":"copying path '/nix/store/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x-copier-exp-0' (136 bytes, compressed 19.9% in 0 ms) to binary cache"}
@nix {"action":"stop","id":36026185678857}
@nix {"action":"start","fields":["http://127.0.0.1:33027/nar/1534940bl6y0yx58pd79vvp6k1x2hwp7sf27h98sqhqyyq98flr6.nar.zst"],"id":36026185678858,"level":4,"text":"uploading 'http://127.0.0.1:33027/nar/1534940bl6y0yx58pd79vvp6k1x2hwp7sf27h98sqhqyyq98flr6.nar.zst'","type":101}
@nix {"action":"start","fields":["http://127.0.0.1:33027/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x.narinfo"],"id":36026185678859,"level":4,"text":"uploading 'http://127.0.0.1:33027/q4dd8smxdk2dfdmvfkdc7amd6g8cyy1x.narinfo'","type":101}
@nix {"action":"stop","id":36026185678858}
@nix {"action":"stop","id":36026185678859}
@nix {"action":"stop","id":36026185678856}
@nix {"action":"start","fields":["/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1","daemon","http://127.0.0.1:33027"],"id":36026185678860,"level":3,"text":"copying path '/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1' to 'http://127.0.0.1:33027'","type":100}
@nix {"action":"msg","level":4,"msg":"copying path '/nix/store/d6496crqgg047svzisqqnk9xmwyrk451-copier-exp-1' (192 bytes, compressed 19.8% in 0 ms) to binary cache"}
@nix {"action":"stop","id":36026185678861}
@nix {"action":"start","fields":["http://127.0.0.1:33027/nar/076yyj1ynwn55bzy9w13954915nzcpdfgq4b10la1kybwzi8jrng.nar.zst"],"id":36026185678862,"level":4,"text":"uploading 'http://127.0.0.1:33027/nar/076yyj1ynwn55bzy9w13954915nzcpdfgq4b10la1kybwzi8jrng.nar.zst'","type":101}
@nix {"action":"stop","id":36026185678862}
@nix {"action":"stop","id":36026185678860}
@nix {"action":"stop","id":36026185678855}
@nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m while uploading to HTTP binary cache at '\u001b[35;1mhttp://127.0.0.1:33027\u001b[0m': \u001b[35;1m\u001b[31;1merror:\u001b[0m unable to upload 'http://127.0.0.1:33027/nar/076yyj1ynwn55bzy9w13954915nzcpdfgq4b10la1kybwzi8jrng.nar.zst': HTTP error 500 ('Internal Server Error')\n\n              response body:\n\n              \u001b[35;1minjected fault 500\u001b[0m\u001b[0m","raw_msg":"while uploading to HTTP binary cache at '\u001b[35;1mhttp://127.0.0.1:33027\u001b[0m': \u001b[35;1m\u001b[31;1merror:\u001b[0m unable to upload 'http://127.0.0.1:33027/nar/076yyj1ynwn55bzy9w13954915nzcpdfgq4b10la1kybwzi8jrng.nar.zst': HTTP error 500 ('Internal Server Error')\n\n       response body:\n\n       \u001b[35;1minjected fault 500\u001b[0m\u001b[0m"}
`;
/** Two new paths, copied. */
const OK = String.raw`
@nix {"action":"start","id":63857573756930,"level":0,"text":"","type":103}
@nix {"action":"start","id":63857573756931,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":63857573756931}
@nix {"action":"stop","id":63857573756930}
@nix {"action":"start","id":35334695944192,"level":3,"text":"copying 2 paths","type":103}
@nix {"action":"start","fields":["/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0","daemon","http://127.0.0.1:38665"],"id":35334695944193,"level":3,"text":"copying path '/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0' to 'http://127.0.0.1:38665'","type":100}
@nix {"action":"msg","level":4,"msg":"copying path '/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0' (136 bytes, compressed 19.9% in 0 ms) to binary cache"}
@nix {"action":"start","fields":["http://127.0.0.1:38665/nar/0gz9nvipx4ds4kasv97c3vym27h3iy009vac93nx2nv3mpij2rfl.nar.zst"],"id":35334695944195,"level":4,"text":"uploading 'http://127.0.0.1:38665/nar/0gz9nvipx4ds4kasv97c3vym27h3iy009vac93nx2nv3mpij2rfl.nar.zst'","type":101}
@nix {"action":"stop","id":35334695944194}
@nix {"action":"stop","id":35334695944195}
@nix {"action":"start","fields":["http://127.0.0.1:38665/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx.narinfo"],"id":35334695944196,"level":4,"text":"uploading 'http://127.0.0.1:38665/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx.narinfo'","type":101}
@nix {"action":"stop","id":35334695944193}
@nix {"action":"stop","id":35334695944196}
@nix {"action":"start","fields":["/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1","daemon","http://127.0.0.1:38665"],"id":35334695944197,"level":3,"text":"copying path '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1' to 'http://127.0.0.1:38665'","type":100}
@nix {"action":"msg","level":4,"msg":"copying path '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1' (192 bytes, compressed 20.3% in 0 ms) to binary cache"}
@nix {"action":"stop","id":35334695944198}
@nix {"action":"start","fields":["http://127.0.0.1:38665/nar/006maxwcpx8qvqgasmwfvdi8w9x52cfp06l88ms12k8zcmhbc752.nar.zst"],"id":35334695944199,"level":4,"text":"uploading 'http://127.0.0.1:38665/nar/006maxwcpx8qvqgasmwfvdi8w9x52cfp06l88ms12k8zcmhbc752.nar.zst'","type":101}
@nix {"action":"start","fields":["http://127.0.0.1:38665/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y.narinfo"],"id":35334695944200,"level":4,"text":"uploading 'http://127.0.0.1:38665/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y.narinfo'","type":101}
@nix {"action":"stop","id":35334695944199}
@nix {"action":"stop","id":35334695944200}
@nix {"action":"stop","id":35334695944197}
@nix {"action":"stop","id":35334695944192}
`;
/** A path whose reference the cache lacks. */
const REFUSED = String.raw`
@nix {"action":"start","id":63857573756930,"level":0,"text":"","type":103}
@nix {"action":"start","id":63857573756931,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":63857573756931}
@nix {"action":"stop","id":63857573756930}
@nix {"action":"stop","id":35308926140416}
@nix {"action":"start","fields":["/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1","http://127.0.0.1:38665"],"id":35308926140417,"level":4,"text":"querying info about '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1' on 'http://127.0.0.1:38665'","type":109}
@nix {"action":"stop","id":35308926140417}
@nix {"action":"stop","id":35308926140418}
@nix {"action":"start","id":35308926140419,"level":3,"text":"copying 1 paths","type":103}
@nix {"action":"start","fields":["/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1","daemon","http://127.0.0.1:38665"],"id":35308926140420,"level":3,"text":"copying path '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1' to 'http://127.0.0.1:38665'","type":100}
@nix {"action":"msg","level":4,"msg":"copying path '/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1' (192 bytes, compressed 20.3% in 0 ms) to binary cache"}
@nix {"action":"start","fields":["/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0","http://127.0.0.1:38665"],"id":35308926140421,"level":4,"text":"querying info about '/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0' on 'http://127.0.0.1:38665'","type":109}
@nix {"action":"stop","id":35308926140421}
@nix {"action":"stop","id":35308926140422}
@nix {"action":"stop","id":35308926140420}
@nix {"action":"stop","id":35308926140419}
@nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m cannot add '\u001b[35;1m/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1\u001b[0m' to the binary cache because the reference '\u001b[35;1m/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0\u001b[0m' is not valid","raw_msg":"cannot add '\u001b[35;1m/nix/store/l8mcq9vp17vnl28sdkv4kzrb7hn1cr5y-copier-exp-1\u001b[0m' to the binary cache because the reference '\u001b[35;1m/nix/store/gblaxp0fbjcf7pbkbhfz11cbzv1b61rx-copier-exp-0\u001b[0m' is not valid"}
`;
/** Nothing listening at the cache's port. */
const DOWN = String.raw`
@nix {"action":"start","id":63857573756930,"level":0,"text":"","type":103}
@nix {"action":"start","id":63857573756931,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":63857573756931}
@nix {"action":"stop","id":63857573756930}
@nix {"action":"stop","id":35407710388224}
@nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m unable to download 'http://127.0.0.1:9/nix-cache-info': Couldn't connect to server (7)","raw_msg":"unable to download 'http://127.0.0.1:9/nix-cache-info': Couldn't connect to server (7)"}
`;

function read(log: string, paths: string[]): { events: CopyEvent[]; reader: NixCopyLog } {
  const reader = new NixCopyLog(paths);
  const events = log
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l) => reader.feed(l));
  return { events, reader };
}

describe('nixCopyArgs', () => {
  it('copies the given paths only, to the complete URL, with a JSON log and no retries of its own', () => {
    const args = nixCopyArgs('http://cache?compression=zstd&secret-key=/k', [P0, P1], {
      extraArgs: ['--option', 'netrc-file', '/n'],
    });
    expect(args).toEqual([
      'copy',
      '--extra-experimental-features',
      'nix-command',
      '--no-recursive',
      '--to',
      'http://cache?compression=zstd&secret-key=/k',
      '--log-format',
      'internal-json',
      '-v',
      '--option',
      'download-attempts',
      '1',
      '--option',
      'connect-timeout',
      '15',
      '--option',
      'stalled-download-timeout',
      '60',
      '--option',
      'netrc-file',
      '/n',
      P0,
      P1,
    ]);
  });

  it('takes other timeouts, and refuses a command line longer than a chunk', () => {
    const args = nixCopyArgs('file:///c', [P0], { connectTimeoutSec: 3, stalledTimeoutSec: 7 });
    expect(args.join(' ')).toContain('--option connect-timeout 3 --option stalled-download-timeout 7');
    const many = Array.from({ length: MAX_PATHS_PER_COPY + 1 }, () => P0);
    expect(() => nixCopyArgs('file:///c', many)).toThrow(/at most/);
  });
});

describe('NixCopyLog', () => {
  it('reports a successful copy: the cache opened, each path started and copied, sizes from the message', () => {
    const { events, reader } = read(OK, [O0, O1]);
    expect(events).toEqual([
      { kind: 'opened' },
      { kind: 'started', path: O0 },
      { kind: 'copied', path: O0 },
      { kind: 'started', path: O1 },
    ]);
    const { result, events: last } = reader.finish(0, true);
    expect(last).toEqual([{ kind: 'copied', path: O1 }]);
    expect(result).toEqual({ copied: [O0, O1], present: [], incomplete: [], refused: [], errors: [] });
    // 136 bytes, "compressed 19.9%" (the saving): 109 bytes went up (e2e checks this against FileSize).
    expect(reader.sizes.get(O0)).toEqual({ narSize: 136, fileSize: 109 });
    expect(reader.sizes.get(O1)).toEqual({ narSize: 192, fileSize: 153 });
  });

  it('counts paths the run was given but never started as present when it succeeds', () => {
    const { reader } = read(OK, [O0, P2, O1]);
    expect(reader.finish(0, true).result.present).toEqual([P2]);
  });

  it('after a failure: what Nix moved on from is copied, the path in flight is not, the rest unknown', () => {
    const { events, reader } = read(PARTIAL, [P0, P1, P2]);
    expect(events.filter((e) => e.kind !== 'error')).toEqual([
      { kind: 'opened' },
      { kind: 'started', path: P0 },
      { kind: 'copied', path: P0 },
      { kind: 'started', path: P1 },
    ]);
    const { result, events: last } = reader.finish(1, true);
    expect(last).toEqual([]);
    expect(result.copied).toEqual([P0]);
    expect(result.incomplete).toEqual([P1]);
    expect(result.present).toEqual([]);
    expect(result.errors).toEqual([
      "while uploading to HTTP binary cache at 'http://127.0.0.1:33027': error: unable to upload " +
        "'http://127.0.0.1:33027/nar/076yyj1ynwn55bzy9w13954915nzcpdfgq4b10la1kybwzi8jrng.nar.zst': " +
        "HTTP error 500 ('Internal Server Error') response body: injected fault 500",
    ]);
  });

  it('on a copy stopped from outside, only what Nix moved on from counts', () => {
    const cut = OK.split('\n').slice(0, -3).join('\n'); // O1's narinfo upload never ends
    const { reader } = read(cut, [O0, O1]);
    expect(reader.finish(143, false).result).toMatchObject({ copied: [O0], incomplete: [O1], present: [] });
  });

  it('counts a path whose narinfo went up as copied when the run then failed for something else', () => {
    const lines = OK.split('\n').filter((l) => l !== '' && !l.includes('"id":35334695944192}'));
    const error = String.raw`@nix {"action":"msg","level":0,"msg":"error: something after the upload"}`;
    const { reader } = read([...lines, error].join('\n'), [O0, O1]);
    expect(reader.finish(1, true).result).toMatchObject({ copied: [O0, O1], incomplete: [] });
  });

  it('recognises a path the cache refused for a missing reference', () => {
    const { events, reader } = read(REFUSED, [O1]);
    expect(events.at(-1)).toEqual({
      kind: 'error',
      message: `cannot add '${O1}' to the binary cache because the reference '${O0}' is not valid`,
    });
    expect(reader.finish(1, true).result).toMatchObject({
      copied: [],
      incomplete: [O1],
      refused: [{ path: O1, reference: O0 }],
    });
  });

  it('reports a cache it could not reach, with nothing started and nothing opened', () => {
    const { events, reader } = read(DOWN, [P2]);
    expect(events).toEqual([
      {
        kind: 'error',
        message: "unable to download 'http://127.0.0.1:9/nix-cache-info': Couldn't connect to server (7)",
      },
    ]);
    expect(reader.finish(1, true).result).toMatchObject({ copied: [], incomplete: [], present: [] });
  });

  it('takes plain-text errors (before the JSON logger is up) and ignores other text and garbage', () => {
    const reader = new NixCopyLog([P0]);
    expect(reader.feed("error: unrecognised flag '--bogus'")).toEqual([
      { kind: 'error', message: "unrecognised flag '--bogus'" },
    ]);
    expect(reader.feed("       Try 'nix --help' for more information.")).toEqual([]);
    expect(reader.feed('warning: something')).toEqual([]);
    expect(reader.feed('@nix {not json')).toEqual([]);
    expect(reader.feed('@nix 42')).toEqual([]);
    expect(reader.feed('@nix {"action":"stop","id":1}')).toEqual([]);
  });
});

describe('cleanMessage', () => {
  it('removes colours, the error prefix and credentials in URLs, and makes one line', () => {
    expect(
      cleanMessage("\u001b[31;1merror:\u001b[0m unable to upload 'https://u:p@host/x':\n\n  HTTP error 500"),
    ).toBe("unable to upload 'https://host/x': HTTP error 500");
  });
});
