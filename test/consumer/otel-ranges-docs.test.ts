/**
 * The OTel JS ranges the docs state against the ranges the packages are published with (the workspace catalog, which
 * packed.test.ts holds every tarball to): a README or CHANGELOG that names a release the packages no longer accept,
 * or misses one they do, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO } from './release.js';

const catalog = (parseYaml(readFileSync(join(REPO, 'pnpm-workspace.yaml'), 'utf8')) as { catalog: Record<string, string> }).catalog;
const sdkRange = catalog['@opentelemetry/sdk-metrics']!;
const exporterRange = catalog['@opentelemetry/exporter-prometheus']!;
const versionsOf = (range: string) => range.split('||').map((version) => version.trim());

describe('docs: the OTel JS releases the packages accept', () => {
  it('the catalog pins exact releases: one range for the SDK packages, one for the exporters', () => {
    for (const name of ['resources', 'core']) expect(catalog[`@opentelemetry/${name}`], name).toBe(sdkRange);
    for (const name of ['exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto']) expect(catalog[`@opentelemetry/${name}`], name).toBe(exporterRange);
    for (const version of [...versionsOf(sdkRange), ...versionsOf(exporterRange)]) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the root README states exactly the catalog ranges and the api peer range', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const stated = /accept exactly the OTel JS releases they are tested with: .*?`core` `([^`]+)`, and the exporters `([^`]+)`/.exec(readme);
    expect(stated, 'the "accept exactly the OTel JS releases" sentence').not.toBeNull();
    expect(stated![1]).toBe(sdkRange);
    expect(stated![2]).toBe(exporterRange);
    expect(readme).toContain(`The peer \`@opentelemetry/api\` is \`${catalog['@opentelemetry/api']}\``);
  });

  it("@ryot/exporters' CHANGELOG names every accepted release", () => {
    const changelog = readFileSync(join(REPO, 'packages', 'exporters', 'CHANGELOG.md'), 'utf8').replace(/\s+/g, ' ');
    const line = /Dependencies admit exactly the tested OTel JS releases, (.*?)Peer/.exec(changelog);
    expect(line).not.toBeNull();
    for (const version of [...versionsOf(sdkRange), ...versionsOf(exporterRange)]) expect(line![1], version).toContain(version);
  });
});
