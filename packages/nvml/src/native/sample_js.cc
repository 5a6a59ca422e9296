#include "sample_js.h"

#include <cstring>

namespace ryot_nvml {

namespace {

// Order of the packed slots; Layout() exports these names.
constexpr const char* kSystemStrings[] = {"driverVersion", "nvmlVersion"};
constexpr const char* kSystemValues[] = {"cudaDriverVersion", "deviceCount"};
constexpr const char* kDeviceStrings[] = {"name", "uuid", "pciBusId"};
constexpr const char* kDeviceValues[] = {
    "memoryVersion",       "memoryTotalBytes",      "memoryUsedBytes",          "memoryFreeBytes",
    "memoryReservedBytes", "utilizationGpuPercent", "utilizationMemoryPercent", "temperatureCelsius",
    "powerMilliwatts",     "powerLimitMilliwatts",  "energyMillijoules",        "clockSmMhz",
    "clockMemoryMhz",      "processMemoryBytes",    "processPresent",           "processCount",
};
constexpr size_t kSystemStringCount = sizeof(kSystemStrings) / sizeof(kSystemStrings[0]);
constexpr size_t kSystemValueCount = sizeof(kSystemValues) / sizeof(kSystemValues[0]);
constexpr size_t kDeviceStringCount = sizeof(kDeviceStrings) / sizeof(kDeviceStrings[0]);
constexpr size_t kDeviceValueCount = sizeof(kDeviceValues) / sizeof(kDeviceValues[0]);
// Per device: the handle code, then one code per string slot and per value slot.
constexpr size_t kDeviceCodeCount = 1 + kDeviceStringCount + kDeviceValueCount;
constexpr size_t kSystemCodeCount = kSystemStringCount + kSystemValueCount;

struct Packer {
  std::vector<int32_t> codes;
  std::vector<double> values;
  std::vector<const std::string*> strings;
  const std::string empty;

  void String(Return code, const std::string& value) {
    codes.push_back(code);
    strings.push_back(code == rc::kSuccess ? &value : &empty);
  }
  void Value(Return code, double value) {
    codes.push_back(code);
    values.push_back(code == rc::kSuccess ? value : 0);
  }
  template <typename T>
  void Value(const Field<T>& field) {
    Value(field.code, static_cast<double>(field.value));
  }
};

void PackDevice(const DeviceSample& d, Packer* p) {
  p->codes.push_back(d.handleCode);
  p->String(d.name.code, d.name.value);
  p->String(d.uuid.code, d.uuid.value);
  p->String(d.pciBusId.code, d.pciBusId.value);
  p->Value(d.memoryCode, d.memoryVersion);
  p->Value(d.memoryCode, static_cast<double>(d.memoryTotal));
  p->Value(d.memoryCode, static_cast<double>(d.memoryUsed));
  p->Value(d.memoryCode, static_cast<double>(d.memoryFree));
  p->Value(d.memoryReserved);
  p->Value(d.utilizationCode, d.utilization.gpu);
  p->Value(d.utilizationCode, d.utilization.memory);
  p->Value(d.temperature);
  p->Value(d.powerMilliwatts);
  p->Value(d.powerLimitMilliwatts);
  p->Value(d.energyMillijoules);
  p->Value(d.clockSmMhz);
  p->Value(d.clockMemoryMhz);
  p->Value(d.processMemory);
  // processPresent is known even when the pid's figure is NVML_VALUE_NOT_AVAILABLE.
  bool listed = d.processMemory.ok() || d.processMemory.code == rc::kNoData;
  p->Value(listed ? rc::kSuccess : d.processMemory.code, d.processPresent ? 1 : 0);
  p->Value(listed ? rc::kSuccess : d.processMemory.code, d.processCount);
}

Napi::Array Names(Napi::Env env, const char* const* names, size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; ++i) out.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  return out;
}

}  // namespace

Napi::Object Layout(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("systemStrings", Names(env, kSystemStrings, kSystemStringCount));
  out.Set("systemValues", Names(env, kSystemValues, kSystemValueCount));
  out.Set("deviceStrings", Names(env, kDeviceStrings, kDeviceStringCount));
  out.Set("deviceValues", Names(env, kDeviceValues, kDeviceValueCount));
  return out;
}

// { codes: Int32Array, values: Float64Array, strings: string[], devices: number }
// System slots first (strings, then values), then each device in index order.
Napi::Object SystemToJs(Napi::Env env, const SystemSample& sample, bool withDevices) {
  Packer p;
  size_t devices = withDevices ? sample.devices.size() : 0;
  p.codes.reserve(kSystemCodeCount + devices * kDeviceCodeCount);
  p.values.reserve(kSystemValueCount + devices * kDeviceValueCount);
  p.strings.reserve(kSystemStringCount + devices * kDeviceStringCount);
  p.String(sample.driverVersion.code, sample.driverVersion.value);
  p.String(sample.nvmlVersion.code, sample.nvmlVersion.value);
  p.Value(sample.cudaDriverVersion);
  p.Value(sample.countCode, sample.deviceCount);
  for (size_t i = 0; i < devices; ++i) PackDevice(sample.devices[i], &p);

  Napi::Int32Array codes = Napi::Int32Array::New(env, p.codes.size());
  if (!p.codes.empty()) std::memcpy(codes.Data(), p.codes.data(), p.codes.size() * sizeof(int32_t));
  Napi::Float64Array values = Napi::Float64Array::New(env, p.values.size());
  if (!p.values.empty()) std::memcpy(values.Data(), p.values.data(), p.values.size() * sizeof(double));
  Napi::Array strings = Napi::Array::New(env, p.strings.size());
  for (size_t i = 0; i < p.strings.size(); ++i) {
    strings.Set(static_cast<uint32_t>(i), Napi::String::New(env, *p.strings[i]));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("codes", codes);
  out.Set("values", values);
  out.Set("strings", strings);
  out.Set("devices", Napi::Number::New(env, static_cast<double>(devices)));
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
