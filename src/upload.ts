import { run } from './steps/upload.js';

await run();
