#include "device_sample.h"

#include <cstring>

namespace ryot_nvml {

namespace {

Field<std::string> ReadString(NvmlApi::StringFn fn, unsigned int size) {
  Field<std::string> field;
  if (fn == nullptr) return field;
  std::vector<char> buffer(size, '\0');
  field.code = fn(buffer.data(), size);
  if (field.ok()) field.value.assign(buffer.data(), strnlen(buffer.data(), size));
  return field;
}

Field<std::string> ReadDeviceString(NvmlApi::DeviceStringFn fn, DeviceHandle device, unsigned int size) {
  Field<std::string> field;
  if (fn == nullptr) return field;
  std::vector<char> buffer(size, '\0');
  field.code = fn(device, buffer.data(), size);
  if (field.ok()) field.value.assign(buffer.data(), strnlen(buffer.data(), size));
  return field;
}

template <typename Fn, typename T>
Field<T> ReadScalar(Fn fn, DeviceHandle device) {
  Field<T> field;
  if (fn == nullptr) return field;
  field.code = fn(device, &field.value);
  return field;
}

Field<unsigned int> ReadClock(const NvmlApi& api, DeviceHandle device, int type) {
  Field<unsigned int> field;
  if (api.clock == nullptr) return field;
  field.code = api.clock(device, type, &field.value);
  return field;
}

void ReadPci(const NvmlApi& api, DeviceHandle device, DeviceSample* out) {
  if (api.pciV3 != nullptr) {
    PciInfoV3 pci{};
    out->pciBusId.code = api.pciV3(device, &pci);
    if (out->pciBusId.ok()) out->pciBusId.value.assign(pci.busId, strnlen(pci.busId, sizeof(pci.busId)));
    return;
  }
  if (api.pciLegacy != nullptr) {
    PciInfoLegacy pci{};
    out->pciBusId.code = api.pciLegacy(device, &pci);
    if (out->pciBusId.ok()) out->pciBusId.value.assign(pci.busId, strnlen(pci.busId, sizeof(pci.busId)));
  }
}

// v2 first (used = allocated, reserved separate); v1 when the symbol is missing
// or the driver rejects the version word.
void ReadMemory(const NvmlApi& api, DeviceHandle device, DeviceSample* out) {
  if (api.memoryV2 != nullptr) {
    MemoryV2 memory{};
    memory.version = kMemoryV2Version;
    Return code = api.memoryV2(device, &memory);
    if (code == rc::kSuccess) {
      out->memoryCode = code;
      out->memoryVersion = 2;
      out->memoryTotal = memory.total;
      out->memoryUsed = memory.used;
      out->memoryFree = memory.free;
      out->memoryReserved.code = rc::kSuccess;
      out->memoryReserved.value = memory.reserved;
      return;
    }
    out->memoryCode = code;
    if (code != rc::kFunctionNotFound && code != rc::kArgumentVersionMismatch) {
      out->memoryReserved.code = code;
      return;
    }
  }
  if (api.memoryV1 != nullptr) {
    MemoryV1 memory{};
    Return code = api.memoryV1(device, &memory);
    out->memoryCode = code;
    if (code == rc::kSuccess) {
      out->memoryVersion = 1;
      out->memoryTotal = memory.total;
      out->memoryUsed = memory.used;
      out->memoryFree = memory.free;
      // v1 folds reserved into used; report it as unavailable rather than 0.
      out->memoryReserved.code = rc::kNotSupported;
    }
  }
  if (out->memoryCode != rc::kSuccess) out->memoryReserved.code = out->memoryCode;
}

void ReadTemperature(const NvmlApi& api, DeviceHandle device, DeviceSample* out) {
  if (api.temperatureV != nullptr) {
    TemperatureV1 reading{};
    reading.version = kTemperatureV1Version;
    reading.sensorType = kTemperatureSensorGpu;
    Return code = api.temperatureV(device, &reading);
    out->temperature.code = code;
    if (code == rc::kSuccess) {
      out->temperature.value = reading.temperature;
      return;
    }
    if (code != rc::kFunctionNotFound && code != rc::kArgumentVersionMismatch) return;
  }
  if (api.temperature != nullptr) {
    unsigned int celsius = 0;
    out->temperature.code = api.temperature(device, kTemperatureSensorGpu, &celsius);
    if (out->temperature.ok()) out->temperature.value = static_cast<int>(celsius);
  }
}

// Two-call protocol: ask with a zero-sized buffer; SUCCESS means no processes,
// INSUFFICIENT_SIZE gives the count. Allocate with headroom (processes can start
// between the calls) and retry a few times if the list still grew.
template <typename Info, typename Fn>
void ReadProcesses(Fn fn, DeviceHandle device, unsigned int pid, DeviceSample* out) {
  unsigned int count = 0;
  Return code = fn(device, &count, nullptr);
  std::vector<Info> infos;
  for (int attempt = 0; code == rc::kInsufficientSize && attempt < 4; ++attempt) {
    count = count * 2 + 5;
    infos.assign(count, Info{});
    code = fn(device, &count, infos.data());
  }
  out->processMemory.code = code;
  if (code != rc::kSuccess) return;
  if (infos.empty()) count = 0;
  out->processCount = count;
  unsigned long long total = 0;
  for (unsigned int i = 0; i < count && i < infos.size(); ++i) {
    if (infos[i].pid != pid) continue;
    out->processPresent = true;
    if (infos[i].usedGpuMemory == kValueNotAvailable) {
      out->processMemory.code = rc::kNoData;  // e.g. WDDM: the driver does not know
      return;
    }
    total += infos[i].usedGpuMemory;
  }
  out->processMemory.value = total;
}

DeviceSample SampleDevice(const NvmlApi& api, unsigned int index, unsigned int pid) {
  DeviceSample out;
  out.index = index;
  DeviceHandle device = nullptr;
  if (api.handleByIndex == nullptr) return out;
  out.handleCode = api.handleByIndex(index, &device);
  if (out.handleCode != rc::kSuccess) return out;

  out.name = ReadDeviceString(api.name, device, kNameBufferSize);
  out.uuid = ReadDeviceString(api.uuid, device, kUuidBufferSize);
  ReadPci(api, device, &out);
  ReadMemory(api, device, &out);
  if (api.utilization != nullptr) out.utilizationCode = api.utilization(device, &out.utilization);
  ReadTemperature(api, device, &out);
  out.powerMilliwatts = ReadScalar<NvmlApi::UintOutFn, unsigned int>(api.powerUsage, device);
  out.powerLimitMilliwatts = ReadScalar<NvmlApi::UintOutFn, unsigned int>(api.powerLimit, device);
  out.energyMillijoules = ReadScalar<NvmlApi::U64OutFn, unsigned long long>(api.energy, device);
  out.clockSmMhz = ReadClock(api, device, kClockSm);
  out.clockMemoryMhz = ReadClock(api, device, kClockMem);
  if (api.processesV2 != nullptr) {
    ReadProcesses<ProcessInfoV2>(api.processesV2, device, pid, &out);
  } else if (api.processesV1 != nullptr) {
    ReadProcesses<ProcessInfoV1>(api.processesV1, device, pid, &out);
  }
  return out;
}

}  // namespace

SystemSample TakeSystemInfo(const NvmlApi& api) {
  SystemSample sample;
  sample.driverVersion = ReadString(api.driverVersion, kSystemVersionBufferSize);
  sample.nvmlVersion = ReadString(api.nvmlVersion, kSystemVersionBufferSize);
  if (api.cudaDriverVersion != nullptr) {
    sample.cudaDriverVersion.code = api.cudaDriverVersion(&sample.cudaDriverVersion.value);
  }
  if (api.deviceCount != nullptr) sample.countCode = api.deviceCount(&sample.deviceCount);
  return sample;
}

SystemSample TakeSample(const NvmlApi& api, unsigned int pid) {
  SystemSample sample = TakeSystemInfo(api);
  if (sample.countCode != rc::kSuccess) return sample;
  const unsigned int count = sample.deviceCount;
  sample.devices.reserve(count);
  for (unsigned int index = 0; index < count; ++index) {
    sample.devices.push_back(SampleDevice(api, index, pid));
  }
  return sample;
}

}  // namespace ryot_nvml
