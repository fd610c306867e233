// --shard of the commands that split a corpus across processes: i/n given outright, or "auto" / "auto/N"
// taken from the scheduler that started the process (a Slurm array job or a Kubernetes Indexed Job).
#pragma once

#include <functional>
#include <string>

namespace ce::trace {

struct ShardSpec {
  int index = 0;
  int count = 1;
  std::string source = "option";  // "option", "slurm" or "kubernetes"
  std::string detail;             // the variables it came from, for the log; empty for "option"
};

// The environment as getenv sees it; a parameter so that tests need not change the process's own.
using EnvLookup = std::function<const char*(const char*)>;

// Slurm: index = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (MIN is 0 when unset), count =
// SLURM_ARRAY_TASK_COUNT, so --array=1-8 works as well as 0-7 (a stepped or sparse array does not).
// Kubernetes: index = JOB_COMPLETION_INDEX; a Job publishes no count, so it must come as auto/N.
// Throws ce::core::Error naming the option or variable at fault.
ShardSpec parse_shard(const std::string& spec, const EnvLookup& env);

}  // namespace ce::trace
