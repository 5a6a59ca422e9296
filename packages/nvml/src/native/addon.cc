// Registration only: argument checks, per-env state and the cleanup hook.
// The work lives in loader.cc, device_sample.cc, workers.cc and sample_js.cc.
#include <napi.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "device_sample.h"
#include "errors.h"
#include "loader.h"
#include "nvml_types.h"
#include "sample_js.h"
#include "workers.h"

namespace ryot_nvml {

namespace {

// getpid() is a system call (glibc no longer caches it) and Node never forks without exec.
unsigned int SelfPid() {
  static const unsigned int pid = static_cast<unsigned int>(getpid());
  return pid;
}

struct InstanceData {
  std::shared_ptr<AddonState> state = std::make_shared<AddonState>();
};

std::shared_ptr<AddonState> StateOf(Napi::Env env) { return env.GetInstanceData<InstanceData>()->state; }

// Requires an open library, else throws NVML_ERROR_UNINITIALIZED-style errors.
const NvmlApi* RequireApi(Napi::Env env, const char* call) {
  const NvmlApi* api = Library::Instance().api();
  if (api == nullptr) {
    MakeNvmlError(env, rc::kLibraryNotFound, call, "the NVML library is not open; call open() first")
        .ThrowAsJavaScriptException();
  }
  return api;
}

// open(path?: string) -> { requested, path, stub, symbols }
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string requested;
  if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
    if (!info[0].IsString()) {
      Napi::TypeError::New(env, "Expected a string or undefined for path").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    requested = info[0].As<Napi::String>().Utf8Value();
  }
  LoadInfo loaded;
  std::string error;
  if (!Library::Instance().Open(requested, &loaded, &error)) {
    MakeNvmlError(env, rc::kLibraryNotFound, "dlopen", error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return LoadInfoToJs(env, loaded, *Library::Instance().api());
}

// init() -> Promise<packed system info> (see sample_js.h)
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const NvmlApi* api = RequireApi(env, "nvmlInit_v2");
  if (api == nullptr) return env.Undefined();
  if (api->init == nullptr) {
    MakeNvmlError(env, rc::kFunctionNotFound, "nvmlInit_v2", "neither nvmlInit_v2 nor nvmlInit is exported")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return QueueInit(env, StateOf(env), api);
}

// shutdown() -> Promise<void>; resolves at once when this env holds no init.
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<AddonState> state = StateOf(env);
  const NvmlApi* api = Library::Instance().api();
  if (api == nullptr || state->initCount == 0) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  state->initCount -= 1;
  return QueueShutdown(env, api);
}

const NvmlApi* RequireInitialized(Napi::Env env) {
  const NvmlApi* api = RequireApi(env, "sample");
  if (api == nullptr) return nullptr;
  if (StateOf(env)->initCount == 0) {
    MakeNvmlError(env, rc::kUninitialized, "sample", "call init() first").ThrowAsJavaScriptException();
    return nullptr;
  }
  return api;
}

// sample() -> Promise<packed sample> (see sample_js.h)
Napi::Value Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const NvmlApi* api = RequireInitialized(env);
  if (api == nullptr) return env.Undefined();
  return QueueSample(env, api, SelfPid());
}

// sampleBlocking(): the same sample on the calling (JS) thread. Benchmarks only:
// a hung NVML call would block the event loop.
Napi::Value SampleBlocking(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const NvmlApi* api = RequireInitialized(env);
  if (api == nullptr) return env.Undefined();
  return SystemToJs(env, TakeSample(*api, SelfPid()), true);
}

// errorName(code: number) -> "NVML_ERROR_..."
Napi::Value ErrorName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "Expected a number for code").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::String::New(env, ReturnName(info[0].As<Napi::Number>().Int32Value()));
}

// Env teardown (process exit or worker termination): give back every init this env still holds.
void CleanupEnv(const std::shared_ptr<AddonState>& state) {
  const NvmlApi* api = Library::Instance().api();
  if (api == nullptr || api->shutdown == nullptr) return;
  for (; state->initCount > 0; state->initCount -= 1) api->shutdown();
}

Napi::Object RegisterModule(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  env.SetInstanceData<InstanceData>(data);  // deleted by node-addon-api on env teardown
  std::shared_ptr<AddonState> state = data->state;
  env.AddCleanupHook([state]() { CleanupEnv(state); });

  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("sample", Napi::Function::New(env, Sample, "sample"));
  exports.Set("sampleBlocking", Napi::Function::New(env, SampleBlocking, "sampleBlocking"));
  exports.Set("errorName", Napi::Function::New(env, ErrorName, "errorName"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("memoryV2Version", Napi::Number::New(env, kMemoryV2Version));
  constants.Set("temperatureV1Version", Napi::Number::New(env, kTemperatureV1Version));
  constants.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  constants.Set("layout", Layout(env));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace

}  // namespace ryot_nvml

static Napi::Object RegisterRyotNvml(Napi::Env env, Napi::Object exports) {
  return ryot_nvml::RegisterModule(env, exports);
}

NODE_API_MODULE(ryot_nvml, RegisterRyotNvml)
