#include "ce/core/model/model_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ce/core/base/error.h"
#include "base/json_input.h"
#include "ce/core/base/files.h"
#include "io/loader_util.h"

namespace ce::core {

namespace {

using nlohmann::json;

// Bounds that no real Llama checkpoint comes near (Llama 3.1 405B: 126 layers, d 16384, d_mlp 53248,
// vocab 128256). They exist so that a corrupt or hostile config is rejected before anything is sized
// from it.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHidden = 65536;
constexpr int64_t kMaxIntermediate = int64_t{1} << 20;
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 1024;
constexpr int64_t kMaxPositions = int64_t{1} << 24;
constexpr double kMaxParameters = 1e12;
constexpr std::streamoff kMaxConfigBytes = 16 * 1024 * 1024;

int64_t sat_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}
int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

// Field access with messages of the form "<source>: <key> = <value> <problem>".
class Fields {
 public:
  Fields(const json& object, std::string source, std::string prefix = "")
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  // JSON null counts as absent: HF writes null for unset optional fields.
  bool has(const char* key) const {
    const auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }
  const json& at(const char* key) const { return object_.at(key); }

  [[noreturn]] void fail(const char* key, const std::string& problem) const {
    throw Error(source_ + ": " + prefix_ + key + " " + problem);
  }
  [[noreturn]] void fail_value(const char* key, const std::string& problem) const {
    fail(key, "= " + detail::json_excerpt(at(key)) + " " + problem);
  }

  int64_t integer(const char* key, int64_t lo, int64_t hi) const {
    if (!has(key)) fail(key, "is missing");
    return integer_value(key, at(key), lo, hi);
  }
  int64_t integer_or(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
    return has(key) ? integer_value(key, at(key), lo, hi) : fallback;
  }
  // Accepts JSON integers and integral floats (1e9 is a float in JSON but clearly meant as an integer).
  int64_t integer_value(const char* key, const json& v, int64_t lo, int64_t hi) const {
    const std::string range = "is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")";
    int64_t out = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi))
        throw Error(source_ + ": " + prefix_ + key + " = " + detail::json_excerpt(v) + " " + range);
      out = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      out = v.get<int64_t>();
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d) || std::floor(d) != d) {
        throw Error(source_ + ": " + prefix_ + key + " = " + detail::json_excerpt(v) + " is not an integer");
      }
      // +-2^63 bounds the conversion; inside them the integer is printed as such ("1e9" -> 1000000000).
      if (d < -9.2e18 || d > 9.2e18)
        throw Error(source_ + ": " + prefix_ + key + " = " + detail::json_excerpt(v) + " " + range);
      out = static_cast<int64_t>(d);
    } else {
      throw Error(source_ + ": " + prefix_ + key + " = " + detail::json_excerpt(v) + " is not an integer");
    }
    if (out < lo || out > hi)
      throw Error(source_ + ": " + prefix_ + key + " = " + std::to_string(out) + " " + range);
    return out;
  }

  // A finite number strictly above `lo_exclusive` and at most `hi`.
  double number_or(const char* key, double fallback, double lo_exclusive, double hi) const {
    if (!has(key)) return fallback;
    const json& v = at(key);
    if (!v.is_number()) fail_value(key, "is not a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d <= lo_exclusive || d > hi) {
      std::ostringstream range;
      range << "is out of range (must be > " << lo_exclusive << " and <= " << hi << ")";
      fail_value(key, range.str());
    }
    return d;
  }
  double number(const char* key, double lo_exclusive, double hi) const {
    if (!has(key)) fail(key, "is missing");
    return number_or(key, 0.0, lo_exclusive, hi);
  }

  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!at(key).is_boolean()) fail_value(key, "is not true or false");
    return at(key).get<bool>();
  }

  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!at(key).is_string()) fail_value(key, "is not a string");
    return at(key).get<std::string>();
  }

  // int, list of ints, or null/absent (empty).
  std::vector<int64_t> token_ids(const char* key, int64_t vocab) const {
    std::vector<int64_t> ids;
    if (!has(key)) return ids;
    const json& v = at(key);
    if (v.is_array()) {
      for (const json& item : v) ids.push_back(integer_value(key, item, 0, vocab - 1));
    } else {
      ids.push_back(integer_value(key, v, 0, vocab - 1));
    }
    return ids;
  }

 private:
  const json& object_;
  std::string source_;
  std::string prefix_;
};

std::optional<DType> parse_torch_dtype(const std::string& text) {
  if (text == "float32") return DType::F32;
  if (text == "bfloat16") return DType::BF16;
  if (text == "float16") return DType::F16;
  return parse_dtype(text);
}

std::string torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "float32";
    case DType::BF16:
      return "bfloat16";
    case DType::F16:
      return "float16";
  }
  return "float32";
}

void check_architecture(const json& j, const Fields& f, const std::string& source) {
  const bool has_type = f.has("model_type");
  const bool has_arch = f.has("architectures");
  if (!has_type && !has_arch) {
    throw Error(source +
                ": neither model_type nor architectures is given (only Llama / LlamaForCausalLM is "
                "supported)");
  }
  if (has_type) {
    const std::string type = f.string_or("model_type", "");
    if (type != "llama")
      f.fail("model_type", "'" + detail::printable(type) + "' is not supported (only 'llama')");
  }
  if (has_arch) {
    const json& arch = j.at("architectures");
    bool found = false;
    if (arch.is_array()) {
      for (const json& a : arch)
        found = found || (a.is_string() && a.get<std::string>() == "LlamaForCausalLM");
    }
    if (!found)
      f.fail_value("architectures", "does not name LlamaForCausalLM (the only supported architecture)");
  }
}

}  // namespace

int64_t ModelConfig::parameter_count() const {
  const int64_t d = hidden_size;
  const int64_t q = sat_mul(num_attention_heads, head_dim);
  const int64_t kv = sat_mul(num_key_value_heads, head_dim);
  int64_t per_layer = sat_mul(2, d);                                          // two RMSNorm weights
  per_layer = sat_add(per_layer, sat_mul(sat_mul(2, q), d));                  // q_proj, o_proj
  per_layer = sat_add(per_layer, sat_mul(sat_mul(2, kv), d));                 // k_proj, v_proj
  per_layer = sat_add(per_layer, sat_mul(sat_mul(3, intermediate_size), d));  // gate, up, down
  int64_t total = sat_mul(per_layer, num_hidden_layers);
  total = sat_add(total, sat_mul(vocab_size, d));  // embed_tokens
  total = sat_add(total, d);                       // final norm
  if (!tie_word_embeddings) total = sat_add(total, sat_mul(vocab_size, d));
  return total;
}

ModelConfig ModelConfig::from_json(const std::string& json_text, const std::string& source) {
  const json j = parse_json(json_text, source);
  if (!j.is_object()) throw Error(source + ": not a JSON object");
  const Fields f(j, source);
  check_architecture(j, f, source);

  // The forward pass implements exactly SiLU-gated MLPs without biases; anything else would run but be wrong.
  const std::string act = f.string_or("hidden_act", "silu");
  if (act != "silu") f.fail("hidden_act", "'" + detail::printable(act) + "' is not supported (only 'silu')");
  if (f.boolean_or("attention_bias", false)) f.fail("attention_bias", "= true is not supported");
  if (f.boolean_or("mlp_bias", false)) f.fail("mlp_bias", "= true is not supported");

  ModelConfig c;
  c.hidden_size = f.integer("hidden_size", 1, kMaxHidden);
  c.intermediate_size = f.integer("intermediate_size", 1, kMaxIntermediate);
  c.num_hidden_layers = f.integer("num_hidden_layers", 1, kMaxLayers);
  c.num_attention_heads = f.integer("num_attention_heads", 1, kMaxHeads);
  if (f.has("head_dim")) {
    c.head_dim = f.integer("head_dim", 1, kMaxHeadDim);
  } else {
    if (c.hidden_size % c.num_attention_heads != 0) {
      f.fail("num_attention_heads", "= " + std::to_string(c.num_attention_heads) +
                                        " does not divide hidden_size = " + std::to_string(c.hidden_size) +
                                        " (and head_dim is not given)");
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
    if (c.head_dim > kMaxHeadDim) {
      f.fail("hidden_size", "/ num_attention_heads = " + std::to_string(c.head_dim) +
                                " is out of range for head_dim (1.." + std::to_string(kMaxHeadDim) + ")");
    }
  }
  c.num_key_value_heads =
      f.integer_or("num_key_value_heads", c.num_attention_heads, 1, c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    f.fail("num_key_value_heads",
           "= " + std::to_string(c.num_key_value_heads) +
               " does not divide num_attention_heads = " + std::to_string(c.num_attention_heads));
  }
  if (c.head_dim % 2 != 0) {
    throw Error(source + ": head_dim = " + std::to_string(c.head_dim) +
                " is odd (RoPE rotates pairs of dimensions and needs an even head_dim)");
  }
  c.vocab_size = f.integer("vocab_size", 1, kMaxVocab);
  c.max_position_embeddings = f.integer_or("max_position_embeddings", 0, 1, kMaxPositions);
  c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6, 0.0, 1.0);
  c.rope_theta = f.number_or("rope_theta", 10000.0, 0.0, 1e12);

  if (f.has("rope_scaling")) {
    const json& rs = j.at("rope_scaling");
    if (!rs.is_object()) f.fail_value("rope_scaling", "is neither null nor an object");
    const Fields r(rs, source, "rope_scaling.");
    // transformers renamed "type" to "rope_type"; checkpoints carry either.
    std::string type = r.string_or("rope_type", "");
    if (type.empty()) type = r.string_or("type", "");
    if (type.empty()) f.fail("rope_scaling", "has no rope_type");
    if (type == "llama3") {
      RopeScaling s;
      s.factor = r.number("factor", 0.0, 1e6);
      s.low_freq_factor = r.number("low_freq_factor", 0.0, 1e6);
      s.high_freq_factor = r.number("high_freq_factor", 0.0, 1e6);
      if (s.high_freq_factor <= s.low_freq_factor) {
        r.fail_value("high_freq_factor", "must be greater than low_freq_factor = " +
                                             detail::json_excerpt(rs.at("low_freq_factor")));
      }
      s.original_max_position_embeddings = r.integer("original_max_position_embeddings", 1, kMaxPositions);
      c.rope_scaling = s;
    } else if (type != "default") {  // "default" is transformers' name for plain RoPE
      throw Error(source + ": unsupported rope_scaling type '" + detail::printable(type) +
                  "' (only 'llama3' is supported)");
    }
  }

  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.bos_token_ids = f.token_ids("bos_token_id", c.vocab_size);
  c.eos_token_ids = f.token_ids("eos_token_id", c.vocab_size);

  // transformers >= 4.56 writes "dtype"; older checkpoints "torch_dtype".
  const char* dtype_key = f.has("torch_dtype") ? "torch_dtype" : "dtype";
  if (f.has(dtype_key)) {
    const std::string text = f.string_or(dtype_key, "");
    c.torch_dtype = parse_torch_dtype(text);
    if (!c.torch_dtype)
      f.fail(dtype_key, "'" + detail::printable(text) + "' is not supported (float32, bfloat16 or float16)");
  }

  const int64_t params = c.parameter_count();
  if (static_cast<double>(params) > kMaxParameters) {
    throw Error(source + ": the config implies " + std::to_string(params) +
                " parameters, more than the supported 1e12");
  }
  return c;
}

bool fits_context(const ModelConfig& config, int64_t tokens) {
  return config.max_position_embeddings <= 0 || tokens <= config.max_position_embeddings;
}

void check_context(const ModelConfig& config, int64_t tokens) {
  if (fits_context(config, tokens)) return;
  throw Error("the prompt is " + std::to_string(tokens) + " tokens; this model's context is " +
              std::to_string(config.max_position_embeddings) + " (max_position_embeddings)");
}

ModelConfig ModelConfig::from_dir(const std::string& dir) {
  const std::string path = dir.empty() || dir.back() == '/' ? dir + "config.json" : dir + "/config.json";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path + ": cannot open: " + std::strerror(errno) + " (a model folder needs config.json)");
  return from_json(read_file(path, kMaxConfigBytes, "a config"), path);
}

std::string ModelConfig::to_json() const {
  nlohmann::ordered_json j;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_key_value_heads;
  j["head_dim"] = head_dim;
  j["vocab_size"] = vocab_size;
  if (max_position_embeddings > 0) j["max_position_embeddings"] = max_position_embeddings;
  j["rms_norm_eps"] = rms_norm_eps;
  j["rope_theta"] = rope_theta;
  if (rope_scaling) {
    j["rope_scaling"] = {
        {"rope_type", "llama3"},
        {"factor", rope_scaling->factor},
        {"low_freq_factor", rope_scaling->low_freq_factor},
        {"high_freq_factor", rope_scaling->high_freq_factor},
        {"original_max_position_embeddings", rope_scaling->original_max_position_embeddings}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  j["hidden_act"] = "silu";
  j["tie_word_embeddings"] = tie_word_embeddings;
  const auto ids = [](const std::vector<int64_t>& v) -> nlohmann::ordered_json {
    if (v.empty()) return nullptr;
    if (v.size() == 1) return v.front();
    return v;
  };
  j["bos_token_id"] = ids(bos_token_ids);
  j["eos_token_id"] = ids(eos_token_ids);
  if (torch_dtype) j["torch_dtype"] = torch_dtype_name(*torch_dtype);
  return j.dump(2) + "\n";
}

}  // namespace ce::core
