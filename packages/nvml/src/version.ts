import { HARDWARE_METER_NAME } from '@ryot/metrics/instrumentation';

/** The instrumentation scope @ryot/nvml records under. The version is kept equal to package.json's by a test. */
export const NVML_METER_NAME = HARDWARE_METER_NAME;
export const NVML_VERSION = '0.1.0';
