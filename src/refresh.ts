import { run } from './steps/refresh.js';

await run();
