// Converts native samples to plain JS objects (JS thread only). Values keep
// NVML's raw units (mW, mJ, bytes, MHz, percent, degrees C); the TypeScript
// layer converts them.
#ifndef RYOT_NVML_SAMPLE_JS_H_
#define RYOT_NVML_SAMPLE_JS_H_

#include <napi.h>

#include "device_sample.h"
#include "loader.h"

namespace ryot_nvml {

Napi::Object SystemToJs(Napi::Env env, const SystemSample& sample, bool withDevices);
Napi::Object LoadInfoToJs(Napi::Env env, const LoadInfo& info, const NvmlApi& api);

}  // namespace ryot_nvml

#endif  // RYOT_NVML_SAMPLE_JS_H_
