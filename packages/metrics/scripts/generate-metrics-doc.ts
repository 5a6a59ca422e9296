import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMetricsDoc } from './metrics-doc.js';

const target = fileURLToPath(new URL('../METRICS.md', import.meta.url));
writeFileSync(target, renderMetricsDoc());
console.log(`wrote ${target}`);
