// One snapshot of the system and every device, taken with plain C++ (no N-API),
// so it can run on a worker thread. Each field carries its own NVML return code:
// a field that fails (or whose symbol is missing) never hides the others.
#ifndef RYOT_NVML_DEVICE_SAMPLE_H_
#define RYOT_NVML_DEVICE_SAMPLE_H_

#include <string>
#include <vector>

#include "loader.h"
#include "nvml_types.h"

namespace ryot_nvml {

template <typename T>
struct Field {
  Return code = rc::kFunctionNotFound;  // kSuccess when `value` is valid
  T value{};
  bool ok() const { return code == rc::kSuccess; }
};

struct DeviceSample {
  unsigned int index = 0;
  Return handleCode = rc::kFunctionNotFound;  // when not success, no other field was read
  Field<std::string> name;
  Field<std::string> uuid;
  Field<std::string> pciBusId;
  // Memory (bytes). `memoryVersion` is 2 when nvmlDeviceGetMemoryInfo_v2 answered, 1 for the fallback.
  Return memoryCode = rc::kFunctionNotFound;
  int memoryVersion = 0;
  unsigned long long memoryTotal = 0;
  unsigned long long memoryUsed = 0;
  unsigned long long memoryFree = 0;
  Field<unsigned long long> memoryReserved;  // v2 only
  Return utilizationCode = rc::kFunctionNotFound;
  Utilization utilization{};  // percent
  Field<int> temperature;                    // degrees C
  Field<unsigned int> powerMilliwatts;
  Field<unsigned int> powerLimitMilliwatts;
  Field<unsigned long long> energyMillijoules;
  Field<unsigned int> clockSmMhz;
  Field<unsigned int> clockMemoryMhz;
  // This process's compute memory on the device (sum over its entries).
  Field<unsigned long long> processMemory;
  bool processPresent = false;       // this pid appeared in the list
  unsigned int processCount = 0;     // compute processes on the device
};

struct SystemSample {
  Field<std::string> driverVersion;
  Field<std::string> nvmlVersion;
  Field<int> cudaDriverVersion;  // e.g. 12040 for 12.4
  Return countCode = rc::kFunctionNotFound;
  unsigned int deviceCount = 0;
  std::vector<DeviceSample> devices;
};

// Reads everything; `pid` selects this process in the compute-process lists.
SystemSample TakeSample(const NvmlApi& api, unsigned int pid);

// Reads driver/NVML/CUDA versions and the device count (after init).
SystemSample TakeSystemInfo(const NvmlApi& api);

}  // namespace ryot_nvml

#endif  // RYOT_NVML_DEVICE_SAMPLE_H_
