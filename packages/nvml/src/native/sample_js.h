// Converts native samples to JS (JS thread only). A sample crosses the boundary
// packed: one Int32Array of return codes, one Float64Array of numbers and one
// array of strings, laid out as described by Layout() (exported as
// constants.layout), which the TypeScript decoder reads, so the two cannot drift.
// Values keep NVML's raw units (mW, mJ, bytes, MHz, percent, degrees C).
#ifndef RYOT_NVML_SAMPLE_JS_H_
#define RYOT_NVML_SAMPLE_JS_H_

#include <napi.h>

#include "device_sample.h"
#include "loader.h"

namespace ryot_nvml {

Napi::Object SystemToJs(Napi::Env env, const SystemSample& sample, bool withDevices);
Napi::Object LoadInfoToJs(Napi::Env env, const LoadInfo& info, const NvmlApi& api);
Napi::Object Layout(Napi::Env env);

}  // namespace ryot_nvml

#endif  // RYOT_NVML_SAMPLE_JS_H_
