// Where a model's weights live and its arithmetic runs: the CPU or one CUDA GPU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ce::core {

struct Device {
  enum class Kind { Cpu, Cuda };
  Kind kind = Kind::Cpu;
  int index = 0;  // CUDA ordinal; 0 for the CPU

  bool is_cuda() const { return kind == Kind::Cuda; }
  // "cpu" or "cuda:N": the spelling parse_device reads back.
  std::string name() const;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// Parses "cpu", "cuda" (= cuda:0) or "cuda:N", case-insensitively. Only the spelling is checked: whether
// the GPU exists is check_device's job. Throws Error quoting (a printable cut of) the text otherwise.
// Pure; thread-safe.
Device parse_device(const std::string& text);

// How many CUDA GPUs this process can use: 0 when LibTorch was built without CUDA (Debian's libtorch-dev)
// or the machine has no GPU or no driver. Thread-safe; throws nothing.
int cuda_device_count();

// Throws Error unless `device` can run here: "--device cuda:1: ..." saying whether this LibTorch has CUDA
// at all and how many GPUs it sees. The CPU always passes. Thread-safe.
void check_device(const Device& device);

// Free and total memory of one CUDA GPU in bytes (cudaMemGetInfo), or nullopt for the CPU, a missing GPU
// or a CUDA runtime that cannot be asked. Thread-safe; throws nothing.
struct DeviceMemory {
  uint64_t free = 0, total = 0;
};
std::optional<DeviceMemory> device_memory(const Device& device);

}  // namespace ce::core
