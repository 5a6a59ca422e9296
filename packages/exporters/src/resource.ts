import type { Attributes } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { TelemetryConfigError } from './errors.js';

export interface ResourceOptions {
  serviceName?: string;
  serviceVersion?: string;
  resourceAttributes?: Attributes;
}

/**
 * defaultResource() (telemetry.sdk.*, service.name=unknown_service:...) merged with OTel's
 * envDetector (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME from process.env) merged with
 * the code options, which win.
 */
export function buildResource(options: ResourceOptions = {}): Resource {
  const attributes: Attributes = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) attributes['service.name'] = options.serviceName;
  if (options.serviceVersion !== undefined) attributes['service.version'] = options.serviceVersion;
  const fromEnv = detectResources({ detectors: [envDetector] });
  checkResourceAttributesParsed(fromEnv);
  return defaultResource().merge(fromEnv).merge(resourceFromAttributes(attributes));
}

/**
 * OTel's envDetector drops every OTEL_RESOURCE_ATTRIBUTES attribute, with only a debug
 * message, when one entry is malformed; a set variable that yields no attribute is that case.
 */
function checkResourceAttributesParsed(fromEnv: Resource): void {
  const raw = process.env['OTEL_RESOURCE_ATTRIBUTES'] ?? '';
  if (raw.split(',').every((entry) => entry.trim() === '')) return;
  const parsed = Object.keys(fromEnv.attributes).filter((key) => key !== 'service.name' || raw.includes('service.name'));
  if (parsed.length === 0) {
    throw new TelemetryConfigError(
      'OTEL_RESOURCE_ATTRIBUTES',
      `OTel's envDetector could not parse ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} and would drop every attribute; expected comma-separated key=value pairs (percent-encoded)`,
    );
  }
}
