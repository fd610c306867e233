#include "ce/core/model/device.h"

#include <dlfcn.h>
#include <torch/cuda.h>

#include <cctype>
#include <cstdlib>

#include "ce/core/base/error.h"
#include "io/loader_util.h"

namespace ce::core {

std::string Device::name() const { return is_cuda() ? "cuda:" + std::to_string(index) : "cpu"; }

Device parse_device(const std::string& text) {
  const std::string t = detail::ascii_lower(text);
  const auto bad = [&text]() {
    return Error("device must be cpu, cuda or cuda:N, not '" + detail::printable(text, false, 40) + "'");
  };
  if (t == "cpu") return {};
  if (t == "cuda") return {Device::Kind::Cuda, 0};
  if (t.rfind("cuda:", 0) != 0 || t.size() == 5 || t.size() > 8) throw bad();
  int index = 0;
  for (size_t i = 5; i < t.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) throw bad();
    index = index * 10 + (t[i] - '0');
  }
  return {Device::Kind::Cuda, index};
}

int cuda_device_count() {
  try {
    return static_cast<int>(torch::cuda::device_count());
  } catch (const std::exception&) {
    return 0;  // a CUDA build on a machine whose driver fails to initialise
  }
}

void check_device(const Device& device) {
  if (!device.is_cuda()) return;
  const int n = cuda_device_count();
  if (n == 0) {
    throw Error("device " + device.name() + ": no CUDA GPU is available here (" +
                (torch::cuda::is_available() ? std::string("CUDA sees no device")
                                             : std::string("this build's LibTorch has no CUDA, or no GPU/driver was found")) +
                "); use --device cpu");
  }
  if (device.index >= n) {
    throw Error("device " + device.name() + ": this machine has " + std::to_string(n) + " CUDA GPU" +
                (n == 1 ? "" : "s") + " (cuda:0" + (n > 1 ? "..cuda:" + std::to_string(n - 1) : "") + ")");
  }
}

std::optional<DeviceMemory> device_memory(const Device& device) {
  if (!device.is_cuda() || device.index >= cuda_device_count()) return std::nullopt;
  // The CUDA runtime is already loaded by LibTorch's CUDA library; asking it through dlsym keeps core free
  // of CUDA headers, so the same source builds against CPU-only LibTorch.
  void* lib = nullptr;
  for (const char* name : {"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"}) {
    lib = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (!lib) lib = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    if (lib) break;
  }
  if (!lib) return std::nullopt;
  using GetDevice = int (*)(int*);
  using SetDevice = int (*)(int);
  using MemGetInfo = int (*)(size_t*, size_t*);
  auto get = reinterpret_cast<GetDevice>(dlsym(lib, "cudaGetDevice"));
  auto set = reinterpret_cast<SetDevice>(dlsym(lib, "cudaSetDevice"));
  auto info = reinterpret_cast<MemGetInfo>(dlsym(lib, "cudaMemGetInfo"));
  if (!get || !set || !info) return std::nullopt;
  int previous = 0;
  if (get(&previous) != 0 || set(device.index) != 0) return std::nullopt;
  size_t free = 0, total = 0;
  const int rc = info(&free, &total);
  set(previous);  // the caller's current device is left as it was
  if (rc != 0) return std::nullopt;
  return DeviceMemory{free, total};
}

}  // namespace ce::core
