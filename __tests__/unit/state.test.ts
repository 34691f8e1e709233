import { describe, expect, it } from '@jest/globals';
import { loadState, saveState, type StateStore } from '../../src/state.js';
import { sampleEnvironment } from './sample-environment.js';

function memoryStore(): StateStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    saveState: (name, value) => values.set(name, value),
    getState: (name) => values.get(name) ?? '',
  };
}

describe('main → post state', () => {
  it('round-trips what main saved under one key', () => {
    const store = memoryStore();
    saveState(store, { startedAt: '2026-01-01T00:00:00.000Z', environment: sampleEnvironment });
    expect([...store.values.keys()]).toEqual(['nix-cache-action']);
    expect(loadState(store)).toEqual({
      startedAt: '2026-01-01T00:00:00.000Z',
      environment: sampleEnvironment,
    });
  });

  it('is absent when main saved nothing, garbage, or another version', () => {
    const store = memoryStore();
    expect(loadState(store)).toBeUndefined();
    store.values.set('nix-cache-action', '{not json');
    expect(loadState(store)).toBeUndefined();
    store.values.set('nix-cache-action', JSON.stringify({ version: 99, startedAt: 'x', environment: {} }));
    expect(loadState(store)).toBeUndefined();
    store.values.set('nix-cache-action', JSON.stringify({ version: 1, startedAt: 'x' }));
    expect(loadState(store)).toBeUndefined();
  });
});
