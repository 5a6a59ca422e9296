#include "sample_js.h"

#include "errors.h"

namespace ryot_nvml {

namespace {

// Sets `key` to the value, or to null plus errors[key] = code name.
template <typename T>
void SetField(Napi::Env env, Napi::Object target, Napi::Object errors, const char* key, const Field<T>& field) {
  if (field.ok()) {
    if constexpr (std::is_same_v<T, std::string>) {
      target.Set(key, Napi::String::New(env, field.value));
    } else {
      target.Set(key, Napi::Number::New(env, static_cast<double>(field.value)));
    }
  } else {
    target.Set(key, env.Null());
    errors.Set(key, Napi::String::New(env, ReturnName(field.code)));
  }
}

void SetCoded(Napi::Env env, Napi::Object target, Napi::Object errors, const char* key, Return code, double value) {
  SetField(env, target, errors, key, Field<double>{code, value});
}

Napi::Object DeviceToJs(Napi::Env env, const DeviceSample& device) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  out.Set("index", Napi::Number::New(env, device.index));
  out.Set("errors", errors);
  if (device.handleCode != rc::kSuccess) {
    out.Set("handleError", Napi::String::New(env, ReturnName(device.handleCode)));
    return out;
  }
  SetField(env, out, errors, "name", device.name);
  SetField(env, out, errors, "uuid", device.uuid);
  SetField(env, out, errors, "pciBusId", device.pciBusId);
  out.Set("memoryVersion", device.memoryVersion == 0 ? env.Null() : Napi::Number::New(env, device.memoryVersion));
  SetCoded(env, out, errors, "memoryTotalBytes", device.memoryCode, static_cast<double>(device.memoryTotal));
  SetCoded(env, out, errors, "memoryUsedBytes", device.memoryCode, static_cast<double>(device.memoryUsed));
  SetCoded(env, out, errors, "memoryFreeBytes", device.memoryCode, static_cast<double>(device.memoryFree));
  SetField(env, out, errors, "memoryReservedBytes", device.memoryReserved);
  SetCoded(env, out, errors, "utilizationGpuPercent", device.utilizationCode, device.utilization.gpu);
  SetCoded(env, out, errors, "utilizationMemoryPercent", device.utilizationCode, device.utilization.memory);
  SetField(env, out, errors, "temperatureCelsius", device.temperature);
  SetField(env, out, errors, "powerMilliwatts", device.powerMilliwatts);
  SetField(env, out, errors, "powerLimitMilliwatts", device.powerLimitMilliwatts);
  SetField(env, out, errors, "energyMillijoules", device.energyMillijoules);
  SetField(env, out, errors, "clockSmMhz", device.clockSmMhz);
  SetField(env, out, errors, "clockMemoryMhz", device.clockMemoryMhz);
  SetField(env, out, errors, "processMemoryBytes", device.processMemory);
  out.Set("processPresent", Napi::Boolean::New(env, device.processPresent));
  out.Set("processCount", Napi::Number::New(env, device.processCount));
  return out;
}

}  // namespace

Napi::Object SystemToJs(Napi::Env env, const SystemSample& sample, bool withDevices) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  out.Set("errors", errors);
  SetField(env, out, errors, "driverVersion", sample.driverVersion);
  SetField(env, out, errors, "nvmlVersion", sample.nvmlVersion);
  SetField(env, out, errors, "cudaDriverVersion", sample.cudaDriverVersion);
  if (!withDevices) return out;
  if (sample.countCode != rc::kSuccess) {
    errors.Set("deviceCount", Napi::String::New(env, ReturnName(sample.countCode)));
  }
  Napi::Array devices = Napi::Array::New(env, sample.devices.size());
  for (size_t i = 0; i < sample.devices.size(); ++i) {
    devices.Set(static_cast<uint32_t>(i), DeviceToJs(env, sample.devices[i]));
  }
  out.Set("devices", devices);
  return out;
}

Napi::Object LoadInfoToJs(Napi::Env env, const LoadInfo& info, const NvmlApi& api) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("requested", Napi::String::New(env, info.requested));
  out.Set("path", Napi::String::New(env, info.path));
  out.Set("stub", Napi::Boolean::New(env, info.stub));
  Napi::Object symbols = Napi::Object::New(env);
  for (const auto& entry : api.resolved) {
    symbols.Set(entry.first, entry.second.empty() ? env.Null() : Napi::String::New(env, entry.second));
  }
  out.Set("symbols", symbols);
  return out;
}

}  // namespace ryot_nvml
