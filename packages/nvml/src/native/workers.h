// Async workers: every NVML call that can block (init, shutdown, sampling) runs
// on the libuv thread pool and settles a Promise. Execute() never touches JS.
#ifndef RYOT_NVML_WORKERS_H_
#define RYOT_NVML_WORKERS_H_

#include <napi.h>

#include <memory>

#include "loader.h"

namespace ryot_nvml {

// Per-env state, shared by the instance data and the env cleanup hook.
struct AddonState {
  int initCount = 0;  // successful nvmlInit calls this env still owes a shutdown
};

Napi::Promise QueueInit(Napi::Env env, std::shared_ptr<AddonState> state, const NvmlApi* api);
Napi::Promise QueueShutdown(Napi::Env env, const NvmlApi* api);
Napi::Promise QueueSample(Napi::Env env, const NvmlApi* api, unsigned int pid);

}  // namespace ryot_nvml

#endif  // RYOT_NVML_WORKERS_H_
