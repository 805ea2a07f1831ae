// `npm run bench`: every benchmark section, each reporting ratios measured in one run.
import { runApiBench } from './api-bench.js';

const only = process.argv[2];
if (!only || only === 'api') await runApiBench();
process.exit(0);
