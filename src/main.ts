import { run } from './steps/main.js';

await run();
