import { metrics, type Attributes, type Histogram, type MeterProvider } from '@opentelemetry/api';
import { METRICS, RYOT_METER_NAME, createInstrument } from '@ryot/metrics';

/** The four OTel GenAI client histograms (gen_ai.client.*), with the catalog's units and bucket advice. */
export interface GenAiClientInstruments {
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly timeToFirstChunk: Histogram;
  readonly timePerOutputChunk: Histogram;
}

/**
 * Creates the instruments on the given provider, or on the global one looked up per request
 * (the OTel metrics API has no proxy provider, opentelemetry-js #3622), rebinding when it changed.
 */
export class GenAiClientMetrics {
  private bound: { provider: MeterProvider; instruments: GenAiClientInstruments } | undefined;

  constructor(
    private readonly meterProvider: MeterProvider | undefined,
    readonly providerName: string,
  ) {}

  instruments(): GenAiClientInstruments {
    const provider = this.meterProvider ?? metrics.getMeterProvider();
    if (this.bound?.provider === provider) return this.bound.instruments;
    const meter = provider.getMeter(RYOT_METER_NAME);
    const instruments: GenAiClientInstruments = {
      operationDuration: createInstrument(meter, METRICS.genAiClientOperationDuration),
      tokenUsage: createInstrument(meter, METRICS.genAiClientTokenUsage),
      timeToFirstChunk: createInstrument(meter, METRICS.genAiClientTimeToFirstChunk),
      timePerOutputChunk: createInstrument(meter, METRICS.genAiClientTimePerOutputChunk),
    };
    this.bound = { provider, instruments };
    return instruments;
  }
}

export interface GenAiAttributeInput {
  operation: string;
  providerName: string;
  requestModel: string;
  responseModel: string | undefined;
  serverAddress: string | undefined;
  serverPort: number | undefined;
}

export function genAiAttributes(input: GenAiAttributeInput): Attributes {
  const attributes: Attributes = {
    'gen_ai.operation.name': input.operation,
    'gen_ai.provider.name': input.providerName,
    'gen_ai.request.model': input.requestModel,
  };
  if (input.responseModel !== undefined) attributes['gen_ai.response.model'] = input.responseModel;
  if (input.serverAddress !== undefined) {
    attributes['server.address'] = input.serverAddress;
    if (input.serverPort !== undefined) attributes['server.port'] = input.serverPort;
  }
  return attributes;
}
