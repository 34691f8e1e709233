import { describe, expect, it } from '@jest/globals';
import { cachedFor } from '../../../src/util/cached.js';

describe('cachedFor', () => {
  it('serves one read for the time to live, then reads again; a failed read too', async () => {
    let t = 0;
    let reads = 0;
    const read = cachedFor(
      () => {
        reads += 1;
        return reads === 2 ? Promise.reject(new Error('gone')) : Promise.resolve(`value ${reads}`);
      },
      5_000,
      () => t,
    );
    expect(await Promise.all([read(), read()])).toEqual(['value 1', 'value 1']);
    t = 5_000;
    expect(await read()).toBe('value 1');
    t = 5_001;
    await expect(read()).rejects.toThrow('gone');
    t = 9_000;
    await expect(read()).rejects.toThrow('gone'); // a failure also serves its time
    t = 10_002;
    expect(await read()).toBe('value 3');
    expect(reads).toBe(3);
  });
});
