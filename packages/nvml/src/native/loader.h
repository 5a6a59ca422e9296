// The process-wide NVML library: dlopen of the versioned soname at run time and a
// table of nullable function pointers resolved once. A null pointer means the
// installed driver lacks that entry point; callers report FUNCTION_NOT_FOUND for
// the affected field instead of calling through it.
#ifndef RYOT_NVML_LOADER_H_
#define RYOT_NVML_LOADER_H_

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "nvml_types.h"

namespace ryot_nvml {

constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";
constexpr const char* kLibraryEnvVar = "RYOT_NVML_LIBRARY";

struct NvmlApi {
  using VoidFn = Return (*)();
  using ErrorStringFn = const char* (*)(Return);
  using StringFn = Return (*)(char*, unsigned int);
  using IntOutFn = Return (*)(int*);
  using CountFn = Return (*)(unsigned int*);
  using HandleByIndexFn = Return (*)(unsigned int, DeviceHandle*);
  using DeviceStringFn = Return (*)(DeviceHandle, char*, unsigned int);
  using PciV3Fn = Return (*)(DeviceHandle, PciInfoV3*);
  using PciLegacyFn = Return (*)(DeviceHandle, PciInfoLegacy*);
  using MemoryV1Fn = Return (*)(DeviceHandle, MemoryV1*);
  using MemoryV2Fn = Return (*)(DeviceHandle, MemoryV2*);
  using UtilizationFn = Return (*)(DeviceHandle, Utilization*);
  using TemperatureFn = Return (*)(DeviceHandle, int, unsigned int*);
  using TemperatureVFn = Return (*)(DeviceHandle, TemperatureV1*);
  using UintOutFn = Return (*)(DeviceHandle, unsigned int*);
  using U64OutFn = Return (*)(DeviceHandle, unsigned long long*);
  using ClockFn = Return (*)(DeviceHandle, int, unsigned int*);
  using ProcessesV2Fn = Return (*)(DeviceHandle, unsigned int*, ProcessInfoV2*);
  using ProcessesV1Fn = Return (*)(DeviceHandle, unsigned int*, ProcessInfoV1*);

  // Each entry: the preferred (versioned) symbol first, then older fallbacks.
  VoidFn init = nullptr;                // nvmlInit_v2, nvmlInit
  VoidFn shutdown = nullptr;            // nvmlShutdown
  ErrorStringFn errorString = nullptr;  // nvmlErrorString
  StringFn driverVersion = nullptr;     // nvmlSystemGetDriverVersion
  StringFn nvmlVersion = nullptr;       // nvmlSystemGetNVMLVersion
  IntOutFn cudaDriverVersion = nullptr; // nvmlSystemGetCudaDriverVersion
  CountFn deviceCount = nullptr;        // nvmlDeviceGetCount_v2, nvmlDeviceGetCount
  HandleByIndexFn handleByIndex = nullptr;  // nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetHandleByIndex
  DeviceStringFn name = nullptr;        // nvmlDeviceGetName
  DeviceStringFn uuid = nullptr;        // nvmlDeviceGetUUID
  PciV3Fn pciV3 = nullptr;              // nvmlDeviceGetPciInfo_v3
  PciLegacyFn pciLegacy = nullptr;      // nvmlDeviceGetPciInfo_v2
  MemoryV2Fn memoryV2 = nullptr;        // nvmlDeviceGetMemoryInfo_v2
  MemoryV1Fn memoryV1 = nullptr;        // nvmlDeviceGetMemoryInfo
  UtilizationFn utilization = nullptr;  // nvmlDeviceGetUtilizationRates
  TemperatureVFn temperatureV = nullptr;  // nvmlDeviceGetTemperatureV
  TemperatureFn temperature = nullptr;  // nvmlDeviceGetTemperature
  UintOutFn powerUsage = nullptr;       // nvmlDeviceGetPowerUsage (mW)
  UintOutFn powerLimit = nullptr;       // nvmlDeviceGetEnforcedPowerLimit (mW)
  U64OutFn energy = nullptr;            // nvmlDeviceGetTotalEnergyConsumption (mJ)
  ClockFn clock = nullptr;              // nvmlDeviceGetClockInfo (MHz)
  ProcessesV2Fn processesV2 = nullptr;  // nvmlDeviceGetComputeRunningProcesses_v3, _v2
  ProcessesV1Fn processesV1 = nullptr;  // nvmlDeviceGetComputeRunningProcesses (v1 struct)

  // Which symbol filled each slot ("" when none did), for diagnostics and tests.
  std::vector<std::pair<std::string, std::string>> resolved;

  // The symbol that filled `label`'s slot, or `fallback` when none did.
  std::string SymbolFor(const std::string& label, const std::string& fallback) const {
    for (const auto& entry : resolved) {
      if (entry.first == label && !entry.second.empty()) return entry.second;
    }
    return fallback;
  }
};

struct LoadInfo {
  std::string requested;  // what was passed to dlopen
  std::string path;       // the file the dynamic linker actually mapped
  bool stub = false;      // the path looks like the CUDA toolkit's link stub
};

class Library {
 public:
  static Library& Instance();

  // Opens the library once per process. `requested` empty means: the
  // RYOT_NVML_LIBRARY environment variable, else libnvidia-ml.so.1. Never the
  // unversioned libnvidia-ml.so (it can be the CUDA link stub). Returns false
  // and fills `error` on failure; a later call may retry.
  bool Open(const std::string& requested, LoadInfo* info, std::string* error);

  // Null until Open succeeded. The table never changes after that.
  const NvmlApi* api() const;

 private:
  Library() = default;
  mutable std::mutex mutex_;
  void* handle_ = nullptr;
  NvmlApi api_;
  LoadInfo info_;
};

}  // namespace ryot_nvml

#endif  // RYOT_NVML_LOADER_H_
