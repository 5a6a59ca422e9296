/**
 * examples/kubernetes: every manifest parses, and the pieces that must agree do — scrape
 * annotations vs container ports, Service and PodMonitor selectors vs pod labels, probes, the
 * OTLP endpoint vs the Collector sidecar's receiver, and the Collector pipeline vs its ports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/prometheus.js';

const DIR = join(REPO_ROOT, 'examples/kubernetes');

type Doc = Record<string, any>;
type Container = { name: string; ports?: { name?: string; containerPort: number }[]; env?: { name: string; value?: string }[]; [k: string]: any };

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const doc of docs) expect(doc.errors, `${file}: ${doc.errors.join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}
const one = (docs: Doc[], kind: string): Doc => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
/** Whether matchLabels select a pod with these labels. */
const selects = (matchLabels: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(matchLabels).length > 0 && Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
/** A probe's or Service's port (number or name) resolved against a container's ports. */
function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
const env = (container: Container, name: string): string | undefined => container.env?.find((e) => e.name === name)?.value;

const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('kubernetes manifests', () => {
  it('the folder has the three manifests and a README', () => {
    expect(manifests).toEqual(['deployment.yaml', 'otel-collector-sidecar.yaml', 'podmonitor.yaml']);
    expect(readdirSync(DIR)).toContain('README.md');
  });

  it.each(manifests)('%s parses; every object has apiVersion, kind, metadata.name; annotation values are strings', (file) => {
    const docs = load(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.apiVersion, file).toMatch(/^(v1|apps\/v1|monitoring\.coreos\.com\/v1)$/);
      expect(doc.kind).toBeTruthy();
      expect(doc.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      for (const annotations of [doc.metadata?.annotations, doc.spec?.template?.metadata?.annotations]) {
        for (const [key, value] of Object.entries(annotations ?? {})) expect(typeof value, `${file} ${key}`).toBe('string');
      }
    }
  });

  describe('deployment.yaml', () => {
    const docs = load('deployment.yaml');
    const deployment = one(docs, 'Deployment');
    const service = one(docs, 'Service');
    const pod = deployment.spec.template;
    const server = (pod.spec.containers as Container[]).find((c) => c.name === 'server')!;

    it('selects its own pods, and the app listens on PORT = the container port', () => {
      expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(server.ports).toHaveLength(1);
      expect(Number(env(server, 'PORT'))).toBe(server.ports![0]!.containerPort);
    });

    it('prometheus.io annotations point at the container port and /metrics', () => {
      const a = pod.metadata.annotations;
      expect(a['prometheus.io/scrape']).toBe('true');
      expect(a['prometheus.io/path']).toBe('/metrics');
      expect(resolvePort(server, Number(a['prometheus.io/port']))).toBe(8000);
    });

    it('the Service selects the pods and targets the same port as the annotations', () => {
      expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
      const [port] = service.spec.ports;
      expect(resolvePort(server, port.targetPort)).toBe(Number(pod.metadata.annotations['prometheus.io/port']));
    });

    it('readiness and liveness probe /healthz on the container port; resources are set; the GPU is optional (commented)', () => {
      for (const probe of [server.readinessProbe, server.livenessProbe]) {
        expect(probe.httpGet.path).toBe('/healthz');
        expect(resolvePort(server, probe.httpGet.port)).toBe(8000);
      }
      expect(server.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(server.resources.limits.memory).toBeTruthy();
      expect(server.resources.limits['nvidia.com/gpu']).toBeUndefined();
      expect(readFileSync(join(DIR, 'deployment.yaml'), 'utf8')).toMatch(/^\s*# nvidia\.com\/gpu: 1/m);
    });
  });

  describe('podmonitor.yaml', () => {
    const podMonitor = one(load('podmonitor.yaml'), 'PodMonitor');
    const pod = one(load('deployment.yaml'), 'Deployment').spec.template;
    const server = (pod.spec.containers as Container[]).find((c) => c.name === 'server')!;

    it('selects the deployment pods and scrapes the annotated port and path', () => {
      expect(selects(podMonitor.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      const [endpoint] = podMonitor.spec.podMetricsEndpoints;
      expect(resolvePort(server, endpoint.port)).toBe(Number(pod.metadata.annotations['prometheus.io/port']));
      expect(endpoint.path).toBe(pod.metadata.annotations['prometheus.io/path']);
    });

    it('the selector check can fail: it does not select the OTLP variant pods', () => {
      const otlpPod = one(load('otel-collector-sidecar.yaml'), 'Deployment').spec.template;
      expect(selects(podMonitor.spec.selector.matchLabels, otlpPod.metadata.labels)).toBe(false);
    });
  });

  describe('otel-collector-sidecar.yaml', () => {
    const docs = load('otel-collector-sidecar.yaml');
    const configMap = one(docs, 'ConfigMap');
    const deployment = one(docs, 'Deployment');
    const podMonitor = one(docs, 'PodMonitor');
    const pod = deployment.spec.template;
    const containers = pod.spec.containers as Container[];
    const app = containers.find((c) => c.name === 'server')!;
    const collector = containers.find((c) => c.name === 'otel-collector')!;
    const config = parse(configMap.data['config.yaml']) as Doc;
    const portOf = (endpoint: string): number => Number(/:(\d+)$/.exec(endpoint)?.[1]);

    it('the app pushes OTLP to the sidecar: OTEL_* variables match the Collector receiver', () => {
      expect(env(app, 'OTEL_METRICS_EXPORTER')).toBe('otlp');
      expect(env(app, 'OTEL_EXPORTER_OTLP_ENDPOINT')).toBe('http://localhost:4318');
      expect(env(app, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE')).toBe('cumulative');
      const receiver = config.receivers.otlp.protocols.http.endpoint as string;
      expect(portOf(receiver)).toBe(portOf(env(app, 'OTEL_EXPORTER_OTLP_ENDPOINT')!));
      expect(resolvePort(collector, 'otlp-http')).toBe(4318);
    });

    it('the metrics pipeline is otlp -> batch -> prometheus, and every component it names is configured', () => {
      const pipeline = config.service.pipelines.metrics;
      expect(pipeline.receivers).toEqual(['otlp']);
      expect(pipeline.processors).toContain('batch');
      expect(pipeline.exporters).toContain('prometheus');
      for (const name of pipeline.receivers) expect(config.receivers[name], name).toBeDefined();
      for (const name of pipeline.processors) expect(config.processors[name], name).toBeDefined();
      for (const name of pipeline.exporters) expect(config.exporters[name], name).toBeDefined();
      for (const name of config.service.extensions) expect(config.extensions[name], name).toBeDefined();
    });

    it('Prometheus scrapes the Collector exporter port: annotations, container port and PodMonitor agree', () => {
      const exporterPort = portOf(config.exporters.prometheus.endpoint);
      expect(pod.metadata.annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(pod.metadata.annotations['prometheus.io/port'])).toBe(exporterPort);
      expect(pod.metadata.annotations['prometheus.io/path']).toBe('/metrics');
      expect(resolvePort(collector, exporterPort)).toBe(exporterPort);
      expect(selects(podMonitor.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(resolvePort(collector, podMonitor.spec.podMetricsEndpoints[0].port)).toBe(exporterPort);
    });

    it('the Collector reads the ConfigMap: volume, mount path and --config agree; health probe port matches', () => {
      const volume = pod.spec.volumes.find((v: Doc) => v.configMap?.name === configMap.metadata.name);
      expect(volume).toBeDefined();
      const mount = collector.volumeMounts.find((m: Doc) => m.name === volume.name);
      const arg = (collector.args as string[]).find((a) => a.startsWith('--config='));
      expect(arg).toBe(`--config=${mount.mountPath}/config.yaml`);
      expect(Object.keys(configMap.data)).toContain('config.yaml');
      expect(resolvePort(collector, collector.livenessProbe.httpGet.port)).toBe(portOf(config.extensions.health_check.endpoint));
      expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    });
  });
});
