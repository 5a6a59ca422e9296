#include "workers.h"

#include <utility>

#include "device_sample.h"
#include "errors.h"
#include "sample_js.h"

namespace ryot_nvml {

namespace {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  Napi::Promise::Deferred deferred_;
};

class InitWorker : public PromiseWorker {
 public:
  InitWorker(Napi::Env env, std::shared_ptr<AddonState> state, const NvmlApi* api)
      : PromiseWorker(env), state_(std::move(state)), api_(api) {}

  void Execute() override {
    code_ = api_->init();
    if (code_ != rc::kSuccess) return;
    info_ = TakeSystemInfo(*api_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (code_ != rc::kSuccess) {
      deferred_.Reject(MakeNvmlError(env, code_, api_->SymbolFor("init", "nvmlInit_v2"), "").Value());
      return;
    }
    state_->initCount += 1;
    deferred_.Resolve(SystemToJs(env, info_, false));
  }

 private:
  std::shared_ptr<AddonState> state_;
  const NvmlApi* api_;
  Return code_ = rc::kUnknown;
  SystemSample info_;
};

class ShutdownWorker : public PromiseWorker {
 public:
  ShutdownWorker(Napi::Env env, const NvmlApi* api) : PromiseWorker(env), api_(api) {}
  void Execute() override { code_ = api_->shutdown != nullptr ? api_->shutdown() : rc::kFunctionNotFound; }
  void OnOK() override {
    if (code_ == rc::kSuccess) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Reject(MakeNvmlError(Env(), code_, "nvmlShutdown", "").Value());
    }
  }

 private:
  const NvmlApi* api_;
  Return code_ = rc::kUnknown;
};

class SampleWorker : public PromiseWorker {
 public:
  SampleWorker(Napi::Env env, const NvmlApi* api, unsigned int pid) : PromiseWorker(env), api_(api), pid_(pid) {}
  void Execute() override { sample_ = TakeSample(*api_, pid_); }
  void OnOK() override { deferred_.Resolve(SystemToJs(Env(), sample_, true)); }

 private:
  const NvmlApi* api_;
  unsigned int pid_;
  SystemSample sample_;
};

template <typename Worker, typename... Args>
Napi::Promise Queue(Napi::Env env, Args&&... args) {
  auto* worker = new Worker(env, std::forward<Args>(args)...);  // AsyncWorker deletes itself after OnOK
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Promise QueueInit(Napi::Env env, std::shared_ptr<AddonState> state, const NvmlApi* api) {
  return Queue<InitWorker>(env, std::move(state), api);
}

Napi::Promise QueueShutdown(Napi::Env env, const NvmlApi* api) { return Queue<ShutdownWorker>(env, api); }

Napi::Promise QueueSample(Napi::Env env, const NvmlApi* api, unsigned int pid) {
  return Queue<SampleWorker>(env, api, pid);
}

}  // namespace ryot_nvml
