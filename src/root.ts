import { run } from './steps/root-helper.js';

await run();
