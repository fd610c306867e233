// Whether a model folder fits in memory, decided before loading it.
#pragma once

#include <string>

#include "ce/core/model/device.h"

namespace ce::core {

// Bytes a model folder will hold once loaded: its *.safetensors files (hidden files left out, the suffix
// matched in any case), twice that when they total under 2 GB (the loader widens the 16-bit weights of a
// small model to f32), times 1.1, plus 256 MiB for activations. A folder that cannot be read counts as
// empty. Thread-safe; throws nothing.
double estimate_model_bytes(const std::string& dir);

// MemAvailable of /proc/meminfo in bytes, or a negative number where it cannot be read (not Linux, no
// procfs). Thread-safe; throws nothing.
double available_memory_bytes();

// Refuses up front a model that cannot fit: paging a mapped model through swap would freeze the whole
// desktop, not just the program, and a GPU out of memory fails halfway through loading. On a GPU the
// estimate (the same bytes: the weights go there in the same dtype) meets that GPU's free memory instead.
// Returns "about X GB needed, Y GB available" ("free on cuda:0") for progress messages. Throws Error naming
// `dir`, both figures and the remedy when the estimate exceeds the available memory; an unknown amount of
// available memory passes. Thread-safe.
std::string check_model_fits(const std::string& dir, const Device& device = {});

}  // namespace ce::core
