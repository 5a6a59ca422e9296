// Ryot's own declarations of the parts of the NVML C ABI this addon calls.
// Written from NVML's documented signatures and struct layouts (no NVIDIA header is
// used or vendored). Every struct is pinned with static_asserts so a layout
// mistake fails the build instead of corrupting memory at run time.
#ifndef RYOT_NVML_TYPES_H_
#define RYOT_NVML_TYPES_H_

#include <cstddef>

namespace ryot_nvml {

// nvmlReturn_t is a C enum: int-sized.
using Return = int;

// nvmlDevice_t is an opaque pointer passed by value.
struct OpaqueDevice;
using DeviceHandle = OpaqueDevice*;

namespace rc {
constexpr Return kSuccess = 0;
constexpr Return kUninitialized = 1;
constexpr Return kInvalidArgument = 2;
constexpr Return kNotSupported = 3;
constexpr Return kNoPermission = 4;
constexpr Return kInsufficientSize = 7;
constexpr Return kLibraryNotFound = 12;
constexpr Return kFunctionNotFound = 13;
constexpr Return kGpuIsLost = 15;
constexpr Return kNoData = 21;
constexpr Return kArgumentVersionMismatch = 25;
constexpr Return kUnknown = 999;
}  // namespace rc

// nvmlClockType_t and nvmlTemperatureSensors_t values.
constexpr int kClockSm = 1;
constexpr int kClockMem = 2;
constexpr int kTemperatureSensorGpu = 0;

// Buffer sizes, including the NUL terminator. Name and UUID use the larger v2
// bound (96) that the API documents as the maximum.
constexpr unsigned kNameBufferSize = 96;
constexpr unsigned kUuidBufferSize = 96;
constexpr unsigned kSystemVersionBufferSize = 80;

// usedGpuMemory sentinel for "not available" (NVML_VALUE_NOT_AVAILABLE as unsigned).
constexpr unsigned long long kValueNotAvailable = ~0ULL;

// nvmlMemory_t (v1): used = reserved + allocated.
struct MemoryV1 {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

// nvmlMemory_v2_t: used = allocated only; reserved is separate.
struct MemoryV2 {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};

// nvmlUtilization_t, percent.
struct Utilization {
  unsigned int gpu;
  unsigned int memory;
};

// nvmlProcessInfo_v1_t (unversioned nvmlDeviceGetComputeRunningProcesses).
struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long usedGpuMemory;
};

// nvmlProcessInfo_t == nvmlProcessInfo_v2_t, taken by the _v2 and _v3 process calls.
struct ProcessInfoV2 {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

// nvmlPciInfo_t as written by nvmlDeviceGetPciInfo_v3.
struct PciInfoV3 {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
};

// The legacy 52-byte layout written by nvmlDeviceGetPciInfo_v2 (and v1).
struct PciInfoLegacy {
  char busId[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  unsigned int reserved0;
  unsigned int reserved1;
  unsigned int reserved2;
  unsigned int reserved3;
};

// nvmlTemperature_v1_t (NVML 12.8+), for nvmlDeviceGetTemperatureV.
struct TemperatureV1 {
  unsigned int version;
  int sensorType;
  int temperature;
};

// NVML_STRUCT_VERSION: sizeof(struct) | (version << 24). The version field
// must hold this whole word; the literal 2 is rejected by the driver.
constexpr unsigned int StructVersion(std::size_t size, unsigned int version) {
  return static_cast<unsigned int>(size) | (version << 24U);
}
constexpr unsigned int kMemoryV2Version = StructVersion(sizeof(MemoryV2), 2);
constexpr unsigned int kTemperatureV1Version = StructVersion(sizeof(TemperatureV1), 1);

static_assert(sizeof(Return) == 4, "nvmlReturn_t is int-sized");
static_assert(sizeof(DeviceHandle) == sizeof(void*), "nvmlDevice_t is a pointer");
static_assert(sizeof(MemoryV1) == 24, "nvmlMemory_t is 24 bytes");
static_assert(offsetof(MemoryV1, free) == 8 && offsetof(MemoryV1, used) == 16, "nvmlMemory_t order");
static_assert(sizeof(MemoryV2) == 40, "nvmlMemory_v2_t is 40 bytes");
static_assert(offsetof(MemoryV2, total) == 8, "4 bytes of padding after version");
static_assert(offsetof(MemoryV2, reserved) == 16, "nvmlMemory_v2_t.reserved");
static_assert(offsetof(MemoryV2, free) == 24, "nvmlMemory_v2_t.free");
static_assert(offsetof(MemoryV2, used) == 32, "nvmlMemory_v2_t.used");
static_assert(kMemoryV2Version == 0x02000028u, "nvmlMemory_v2 version word");
static_assert(sizeof(Utilization) == 8, "nvmlUtilization_t is 8 bytes");
static_assert(sizeof(ProcessInfoV1) == 16, "nvmlProcessInfo_v1_t is 16 bytes");
static_assert(offsetof(ProcessInfoV1, usedGpuMemory) == 8, "nvmlProcessInfo_v1_t.usedGpuMemory");
static_assert(sizeof(ProcessInfoV2) == 24, "nvmlProcessInfo_t is 24 bytes");
static_assert(offsetof(ProcessInfoV2, usedGpuMemory) == 8, "nvmlProcessInfo_t.usedGpuMemory");
static_assert(offsetof(ProcessInfoV2, gpuInstanceId) == 16, "nvmlProcessInfo_t.gpuInstanceId");
static_assert(offsetof(ProcessInfoV2, computeInstanceId) == 20, "nvmlProcessInfo_t.computeInstanceId");
static_assert(sizeof(PciInfoV3) == 68, "nvmlPciInfo_t (v3) is 68 bytes");
static_assert(offsetof(PciInfoV3, domain) == 16 && offsetof(PciInfoV3, busId) == 36, "nvmlPciInfo_t order");
static_assert(sizeof(PciInfoLegacy) == 52, "legacy PCI info is 52 bytes");
static_assert(sizeof(TemperatureV1) == 12, "nvmlTemperature_v1_t is 12 bytes");
static_assert(kTemperatureV1Version == 0x0100000Cu, "nvmlTemperature_v1 version word");

}  // namespace ryot_nvml

#endif  // RYOT_NVML_TYPES_H_
