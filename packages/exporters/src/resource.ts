import type { Attributes } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

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
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes(attributes));
}
