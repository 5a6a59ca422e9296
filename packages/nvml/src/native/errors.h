// NVML return codes to stable names, and JS errors that carry them.
#ifndef RYOT_NVML_ERRORS_H_
#define RYOT_NVML_ERRORS_H_

#include <napi.h>

#include <string>

#include "nvml_types.h"

namespace ryot_nvml {

// "NVML_ERROR_NOT_SUPPORTED" etc.; unknown values become "NVML_ERROR_CODE_<n>".
std::string ReturnName(Return code);

// A JS Error whose message names the call and the code, with properties
// `code` (the name), `nvmlReturn` (the number) and `call` (the NVML symbol).
Napi::Error MakeNvmlError(Napi::Env env, Return code, const std::string& call, const std::string& detail);

}  // namespace ryot_nvml

#endif  // RYOT_NVML_ERRORS_H_
