#include "loader.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <initializer_list>

namespace ryot_nvml {

namespace {

// dlerror() is thread-local and sticky: clear it before every dlsym and read
// it right after, under the library mutex.
void* Lookup(void* handle, const char* symbol) {
  dlerror();
  void* address = dlsym(handle, symbol);
  return dlerror() == nullptr ? address : nullptr;
}

// Fills `slot` from the first symbol in `names` that resolves and records which one.
template <typename Fn>
void Resolve(void* handle, Fn* slot, const char* label, std::initializer_list<const char*> names,
             NvmlApi* api) {
  *slot = nullptr;
  std::string found;
  for (const char* name : names) {
    void* address = Lookup(handle, name);
    if (address != nullptr) {
      *slot = reinterpret_cast<Fn>(address);
      found = name;
      break;
    }
  }
  api->resolved.emplace_back(label, found);
}

void ResolveAll(void* handle, NvmlApi* api) {
  Resolve(handle, &api->init, "init", {"nvmlInit_v2", "nvmlInit"}, api);
  Resolve(handle, &api->shutdown, "shutdown", {"nvmlShutdown"}, api);
  Resolve(handle, &api->errorString, "errorString", {"nvmlErrorString"}, api);
  Resolve(handle, &api->driverVersion, "driverVersion", {"nvmlSystemGetDriverVersion"}, api);
  Resolve(handle, &api->nvmlVersion, "nvmlVersion", {"nvmlSystemGetNVMLVersion"}, api);
  Resolve(handle, &api->cudaDriverVersion, "cudaDriverVersion", {"nvmlSystemGetCudaDriverVersion"}, api);
  Resolve(handle, &api->deviceCount, "deviceCount", {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, api);
  Resolve(handle, &api->handleByIndex, "handleByIndex",
          {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"}, api);
  Resolve(handle, &api->name, "name", {"nvmlDeviceGetName"}, api);
  Resolve(handle, &api->uuid, "uuid", {"nvmlDeviceGetUUID"}, api);
  Resolve(handle, &api->pciV3, "pciV3", {"nvmlDeviceGetPciInfo_v3"}, api);
  Resolve(handle, &api->pciLegacy, "pciLegacy", {"nvmlDeviceGetPciInfo_v2"}, api);
  Resolve(handle, &api->memoryV2, "memoryV2", {"nvmlDeviceGetMemoryInfo_v2"}, api);
  Resolve(handle, &api->memoryV1, "memoryV1", {"nvmlDeviceGetMemoryInfo"}, api);
  Resolve(handle, &api->utilization, "utilization", {"nvmlDeviceGetUtilizationRates"}, api);
  Resolve(handle, &api->temperatureV, "temperatureV", {"nvmlDeviceGetTemperatureV"}, api);
  Resolve(handle, &api->temperature, "temperature", {"nvmlDeviceGetTemperature"}, api);
  Resolve(handle, &api->powerUsage, "powerUsage", {"nvmlDeviceGetPowerUsage"}, api);
  Resolve(handle, &api->powerLimit, "powerLimit", {"nvmlDeviceGetEnforcedPowerLimit"}, api);
  Resolve(handle, &api->energy, "energy", {"nvmlDeviceGetTotalEnergyConsumption"}, api);
  Resolve(handle, &api->clock, "clock", {"nvmlDeviceGetClockInfo"}, api);
  Resolve(handle, &api->processesV2, "processesV2",
          {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"}, api);
  // The unversioned export is the old v1 ABI with the 16-byte process struct.
  Resolve(handle, &api->processesV1, "processesV1", {"nvmlDeviceGetComputeRunningProcesses"}, api);
}

std::string MappedPath(void* handle, const std::string& fallback) {
  struct link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
      map->l_name[0] != '\0') {
    return map->l_name;
  }
  return fallback;
}

}  // namespace

Library& Library::Instance() {
  static Library* instance = new Library();  // never destroyed: worker threads may outlive statics
  return *instance;
}

bool Library::Open(const std::string& requested, LoadInfo* info, std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string target = requested;
  if (target.empty()) {
    const char* fromEnv = std::getenv(kLibraryEnvVar);
    target = (fromEnv != nullptr && fromEnv[0] != '\0') ? fromEnv : kDefaultLibrary;
  }
  if (handle_ != nullptr) {
    if (target != info_.requested) {
      *error = "NVML is already loaded from '" + info_.path + "' in this process; cannot also load '" + target + "'";
      return false;
    }
    *info = info_;
    return true;
  }
  dlerror();
  void* handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    *error = reason != nullptr ? reason : ("dlopen('" + target + "') failed");
    return false;
  }
  NvmlApi api;
  ResolveAll(handle, &api);
  info_.requested = target;
  info_.path = MappedPath(handle, target);
  info_.stub = info_.path.find("/stubs/") != std::string::npos;
  api_ = std::move(api);
  // Never dlclose: an NVML call hung on a worker thread may still be running
  // inside the library, and NVML's own init/shutdown is already ref-counted.
  handle_ = handle;
  *info = info_;
  return true;
}

const NvmlApi* Library::api() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return handle_ != nullptr ? &api_ : nullptr;
}

}  // namespace ryot_nvml
