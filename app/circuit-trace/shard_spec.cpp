#include "shard_spec.h"

#include <cctype>
#include <optional>

#include "ce/core/base/error.h"

namespace ce::trace {

using ce::core::Error;

namespace {

constexpr long kMaxShards = 1L << 20;  // the exemplar builder's own bound

// A plain decimal count: "+3", " 3" or "3x" from a misquoted script should fail, not be read as 3.
std::optional<long> non_negative(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stol(s);
}

long number(const std::string& s, const std::string& what) {
  const auto v = non_negative(s);
  if (!v) throw Error(what + ": '" + s + "' is not a number");
  return *v;
}

long env_number(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  const auto n = non_negative(v ? v : "");
  if (!n) throw Error(std::string(name) + "='" + (v ? v : "") + "' is not a number");
  return *n;
}

bool is_set(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v && *v;
}

ShardSpec from_slurm(const EnvLookup& env, std::optional<long> given) {
  if (!is_set(env, "SLURM_ARRAY_TASK_COUNT")) {
    throw Error("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
  }
  const long id = env_number(env, "SLURM_ARRAY_TASK_ID");
  const long count = env_number(env, "SLURM_ARRAY_TASK_COUNT");
  const long min = is_set(env, "SLURM_ARRAY_TASK_MIN") ? env_number(env, "SLURM_ARRAY_TASK_MIN") : 0;
  std::string detail = "SLURM_ARRAY_TASK_ID=" + std::to_string(id);
  if (min != 0) detail += " - SLURM_ARRAY_TASK_MIN=" + std::to_string(min);
  detail += ", SLURM_ARRAY_TASK_COUNT=" + std::to_string(count);
  if (given && *given != count) {
    throw Error("--shard auto/" + std::to_string(*given) + ": the Slurm array has " + std::to_string(count) +
                " tasks (SLURM_ARRAY_TASK_COUNT)");
  }
  if (count < 1 || count > kMaxShards) {
    throw Error("--shard auto: SLURM_ARRAY_TASK_COUNT=" + std::to_string(count) + " is not in 1.." +
                std::to_string(kMaxShards));
  }
  if (id < min || id - min >= count) {
    throw Error("--shard auto: shard " + detail + " is outside 0.." + std::to_string(count - 1) +
                " (the array must be contiguous with step 1, e.g. --array=0-" + std::to_string(count - 1) +
                ")");
  }
  return {static_cast<int>(id - min), static_cast<int>(count), "slurm", detail};
}

ShardSpec from_kubernetes(const EnvLookup& env, std::optional<long> given) {
  const long index = env_number(env, "JOB_COMPLETION_INDEX");
  if (!given) {
    throw Error(
        "--shard auto: a Kubernetes Indexed Job publishes no count; pass --shard auto/N with N the "
        "Job's completions");
  }
  if (index >= *given) {
    throw Error("--shard auto/" + std::to_string(*given) + ": JOB_COMPLETION_INDEX=" + std::to_string(index) +
                " is not below " + std::to_string(*given));
  }
  return {static_cast<int>(index), static_cast<int>(*given), "kubernetes",
          "JOB_COMPLETION_INDEX=" + std::to_string(index) + ", count " + std::to_string(*given) +
              " from --shard"};
}

}  // namespace

ShardSpec parse_shard(const std::string& spec, const EnvLookup& env) {
  const auto slash = spec.find('/');
  const std::string head = spec.substr(0, slash);
  std::optional<long> count;
  if (slash != std::string::npos) {
    count = number(spec.substr(slash + 1), "--shard count");
    if (*count < 1 || *count > kMaxShards) {
      throw Error("--shard: the count in '" + spec + "' is not in 1.." + std::to_string(kMaxShards));
    }
  }
  if (head != "auto") {
    if (!count) throw Error("--shard: '" + spec + "' is not i/n (e.g. 0/4), auto or auto/N");
    const long index = number(head, "--shard index");
    if (index >= *count) throw Error("--shard: '" + spec + "' needs 0 <= i < n");
    return {static_cast<int>(index), static_cast<int>(*count), "option", ""};
  }
  const bool slurm = is_set(env, "SLURM_ARRAY_TASK_ID");
  const bool kubernetes = is_set(env, "JOB_COMPLETION_INDEX");
  // Which scheduler's numbering would win is a guess either way; a process that sees both is misconfigured.
  if (slurm && kubernetes) {
    throw Error("--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; give --shard i/n");
  }
  if (slurm) return from_slurm(env, count);
  if (kubernetes) return from_kubernetes(env, count);
  throw Error(
      "--shard auto: neither a Slurm array job (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) nor a "
      "Kubernetes Indexed Job (JOB_COMPLETION_INDEX) is set");
}

}  // namespace ce::trace
