// The exposition parser is @ryot/metrics's, shared with every test that reads Prometheus text.
export { parseExposition, parseFloatValue, matchesLabels, Exposition } from '@ryot/metrics/exposition';
export type { Labels, Sample, MetricFamilyInfo, ParseError } from '@ryot/metrics/exposition';
