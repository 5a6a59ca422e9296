import { arch, platform, version as nodeVersion } from 'node:process';
import { recordSafely } from './diagnostics.js';
import { infoLabelsArgument, sanitizeInfoLabels } from './operations.js';
import type { Recorder } from './recorder.js';
import { RYOT_VERSION } from './version.js';

export interface SystemInfo {
  /** Sets ryot_system_info's labels (replacing earlier ones). Runtime labels are filled in unless overridden. */
  info(labels?: Record<string, string | number | boolean | undefined>): void;
}

export interface ModelInfo {
  /**
   * Sets ryot_model_info's labels. With a `model` label, they replace that model's earlier ones; without one
   * (the reference library's `modelInfo.info({ models: 'gpt4, claude' })`), they replace the earlier model-less set.
   */
  info(labels: { model?: string } & Record<string, string | number | boolean | undefined>): void;
}

export function systemInfoFor(recorder: () => Recorder): SystemInfo {
  return {
    info(labels = {}) {
      const instance = recorder();
      recordSafely(instance.diagnostics, 'systemInfo.info', () => {
        if (infoLabelsArgument(instance, labels) === undefined) return;
        instance.setSystemInfo(
          sanitizeInfoLabels(instance, {
            ryot_version: RYOT_VERSION,
            runtime: 'nodejs',
            runtime_version: nodeVersion,
            platform,
            arch,
            ...labels,
          }),
        );
      });
    },
  };
}

export function modelInfoFor(recorder: () => Recorder): ModelInfo {
  return {
    info(labels) {
      const instance = recorder();
      recordSafely(instance.diagnostics, 'modelInfo.info', () => {
        if (infoLabelsArgument(instance, labels) === undefined) return;
        const { model, ...rest } = labels;
        instance.setModelInfo(model === undefined ? null : instance.series(model), sanitizeInfoLabels(instance, rest));
      });
    },
  };
}
