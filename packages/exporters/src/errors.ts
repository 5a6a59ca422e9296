import { RyotError } from '@ryot/metrics/instrumentation';

/**
 * Thrown by startTelemetry (and the pure config resolver) when an option or an
 * environment variable holds a value Ryot cannot use. `variable` names the
 * environment variable or option path at fault so the message can be acted on.
 */
export class TelemetryConfigError extends RyotError {
  readonly code = 'RYOT_TELEMETRY_CONFIG_INVALID';
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}
