// `npm run bench [api|media|metrics|split]`: every benchmark section (or one), each reporting ratios measured in one run.
import { runApiBench } from './api-bench.js';
import { runMediaBench } from './media-bench.js';
import { runMetricsBench } from './metrics-bench.js';
import { runSplitBench } from './split-bench.js';

const only = process.argv[2];
if (!only || only === 'api') await runApiBench();
if (!only || only === 'media') await runMediaBench();
if (!only || only === 'metrics') await runMetricsBench();
if (!only || only === 'split') await runSplitBench();
process.exit(0);
