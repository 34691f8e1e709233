// End-to-end tests drive a real daemon, builds and several processes: allow them two minutes each.
// (Jest reads `testTimeout` only from the top-level configuration, not from a project's.)
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
