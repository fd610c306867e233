// The exemplar builder's pass with a switch only benchmarks need, kept out of the public options. Internal.
#pragma once

#include "ce/core/base/job.h"
#include "ce/core/exemplars/exemplar_builder.h"

namespace ce::core {

// build_exemplar_index, or with `forward_only` the same reading, tokenizing, batching and forward without the
// hook, the top-K scan or the file (out_path is not written): what bench_exemplars compares against to measure
// the cost of the exemplar scan itself.
ExemplarBuildResult run_exemplar_pass(const Model& model, const ExemplarBuildOptions& options,
                                      const JobControl& control, bool forward_only);

}  // namespace ce::core
