// Reading SAELens and Llama Scope dictionary folders into Dictionary::Impl (formulas in dictionary.h).
#include <cmath>
#include <filesystem>
#include <regex>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "dictionaries/dictionary_ops.h"
#include "io/loader_util.h"
#include "io/safetensors_file.h"

namespace ce::core {

namespace {

using detail::printable;
using detail::shape_string;
using nlohmann::json;
namespace fs = std::filesystem;

// Far above any published config (Llama Scope's are ~2 KB), far below what would hurt to parse.
constexpr uint64_t kMaxConfigBytes = 1 << 20;
// 2^26 features of d = 16384 would already be 4 TiB of float32: a larger count is a corrupt config.
constexpr int64_t kMaxFeatures = int64_t{1} << 26;

std::string field(const std::string& file, const std::string& key) { return file + ": " + key; }

double number(const json& v, const std::string& where) {
  if (!v.is_number()) {
    throw Error(where + ": expected a number, found " + (v.is_null() ? std::string("null") : v.type_name()));
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw Error(where + ": not a finite number");
  return d;
}

int64_t positive(const json& object, const char* key, const std::string& file) {
  const long long v = json_integer(json_member(object, key, file), field(file, key));
  if (v < 1 || v > kMaxFeatures) {
    throw Error(field(file, key) + " = " + std::to_string(v) + " is out of range (1.." +
                std::to_string(kMaxFeatures) + ")");
  }
  return v;
}

// A member at the top level or, as SAELens 6 writes it, inside "metadata"; nullptr when in neither.
const json* top_or_metadata(const json& cfg, const char* key, const std::string& file) {
  if (const json* v = json_optional(cfg, key, file)) return v;
  if (const json* m = json_optional(cfg, "metadata", file))
    return json_optional(*m, key, field(file, "metadata"));
  return nullptr;
}

struct Hook {
  DictionarySite site;
  int layer;
};

// blocks.L.<hook> as TransformerLens names it, for the hooks that have a site in this engine.
Hook parse_hook(const std::string& name, const std::string& where, const ModelConfig& config) {
  static const std::regex re(
      R"(blocks\.([0-9]{1,6})\.(hook_resid_pre|hook_attn_out|ln2\.hook_normalized|hook_mlp_out|hook_resid_post))");
  std::smatch m;
  if (!std::regex_match(name, m, re)) {
    throw Error(where + " \"" + printable(name) +
                "\" is not a supported hook (blocks.L.hook_resid_pre, blocks.L.hook_attn_out, "
                "blocks.L.ln2.hook_normalized, blocks.L.hook_mlp_out, blocks.L.hook_resid_post)");
  }
  const int layer = std::stoi(m[1].str());
  if (layer >= config.num_hidden_layers) {
    throw Error(where + " \"" + name + "\": layer " + std::to_string(layer) +
                " is out of range (the model has " + std::to_string(config.num_hidden_layers) + " layers)");
  }
  const std::string h = m[2].str();
  const DictionarySite site = h == "hook_resid_pre"        ? DictionarySite::ResidPre
                              : h == "hook_attn_out"       ? DictionarySite::AttnOut
                              : h == "ln2.hook_normalized" ? DictionarySite::MlpIn
                              : h == "hook_mlp_out"        ? DictionarySite::MlpOut
                                                           : DictionarySite::ResidPost;
  return {site, layer};
}

// Fills kind, layer and sites from the two hook names; an SAE reads and writes one hook, a transcoder maps
// the MLP's input to its output.
void set_hooks(DictionaryInfo& info, const std::string& in_key, const std::string& out_key,
               const ModelConfig& config) {
  const Hook in = parse_hook(info.hook_in, field(info.config_file, in_key), config);
  const Hook out = parse_hook(info.hook_out, field(info.config_file, out_key), config);
  info.layer = in.layer;
  info.site_in = in.site;
  info.site_out = out.site;
  if (info.hook_in == info.hook_out) {
    info.kind = DictionaryKind::Sae;
    return;
  }
  info.kind = DictionaryKind::Transcoder;
  if (in.site != DictionarySite::MlpIn || out.site != DictionarySite::MlpOut || in.layer != out.layer) {
    throw Error(info.config_file +
                ": a transcoder must map blocks.L.ln2.hook_normalized to blocks.L.hook_mlp_out of "
                "the same layer (found " +
                in_key + " \"" + info.hook_in + "\", " + out_key + " \"" + info.hook_out + "\")");
  }
}

void check_width(const std::string& where, int64_t value, const ModelConfig& config) {
  if (value != config.hidden_size) {
    throw Error(where + " = " + std::to_string(value) + ", but the model's hidden_size is " +
                std::to_string(config.hidden_size));
  }
}

void check_k(DictionaryInfo& info, const std::string& where) {
  if (info.k < 1 || info.k > info.d_sae) {
    throw Error(where + " = " + std::to_string(info.k) +
                " is out of range (1..d_sae = " + std::to_string(info.d_sae) + ")");
  }
}

json read_config(const std::string& path) {
  return parse_json(read_file(path, kMaxConfigBytes, "a dictionary config"), path);
}

// A tensor of the file as float32 in memory of its own, after checking its shape and values.
torch::Tensor tensor(const SafetensorsFile& file, const std::string& name, const std::vector<int64_t>& shape,
                     const std::string& dims) {
  const auto it = file.tensors().find(name);
  if (it == file.tensors().end()) throw Error(file.path() + ": missing tensor \"" + name + "\"");
  if (it->second.shape != shape) {
    throw Error(file.path() + ": " + name + " is " + shape_string(it->second.shape) + ", expected " +
                shape_string(shape) + " (" + dims + ")");
  }
  torch::Tensor t = view_entry(it->second).to(torch::kFloat32).clone().contiguous();
  if (!torch::isfinite(t).all().item<bool>())
    throw Error(file.path() + ": " + name + " holds NaN or infinite values");
  return t;
}

std::unique_ptr<SafetensorsFile> open_weights(DictionaryInfo& info,
                                              const std::vector<std::string>& candidates) {
  for (const std::string& c : candidates) {
    const std::string path = (fs::path(info.folder) / c).string();
    if (fs::exists(path)) {
      info.weights_file = path;
      return SafetensorsFile::open(path);
    }
  }
  std::string names;
  for (size_t i = 0; i < candidates.size(); ++i) {
    names += (i == 0 ? "" : i + 1 == candidates.size() ? " or " : ", ") + candidates[i];
  }
  throw Error(info.folder + ": no " + names);
}

// Scales feature j's encoder column and bias by n_j and its decoder row by 1 / n_j: the same reconstruction,
// features multiplied by n_j (SAELens' rescale_acts_by_decoder_norm).
void fold_decoder_norms(Dictionary::Impl& d) {
  torch::Tensor n = d.w_dec.pow(2).sum(1).sqrt();     // [d_sae]
  n = torch::where(n > 0, n, torch::ones_like(n));    // [d_sae] zero rows stay
  d.w_enc = (d.w_enc * n.unsqueeze(0)).contiguous();  // [d_in, d_sae]
  d.b_enc = (d.b_enc * n).contiguous();               // [d_sae]
  d.w_dec = (d.w_dec / n.unsqueeze(1)).contiguous();  // [d_sae, d_out]
}

std::unique_ptr<Dictionary::Impl> load_saelens(DictionaryInfo info, const ModelConfig& config) {
  const std::string& cf = info.config_file;
  const json cfg = read_config(cf);
  const std::string arch = json_string_or(cfg, "architecture", "standard", cf);
  const bool transcoder = arch == "transcoder" || arch == "jumprelu_transcoder";
  if (arch == "standard" || arch == "transcoder") {
    info.architecture = DictionaryArchitecture::Standard;
  } else if (arch == "jumprelu" || arch == "jumprelu_transcoder") {
    info.architecture = DictionaryArchitecture::JumpRelu;
  } else if (arch == "topk") {
    info.architecture = DictionaryArchitecture::TopK;
  } else {
    throw Error(field(cf, "architecture") + " \"" + printable(arch) +
                "\" is not supported (standard, jumprelu, topk, transcoder, jumprelu_transcoder)");
  }
  // SAELens before 6 wrote TopK SAEs as "standard" with this activation function; TopK transcoders (the
  // trainer's, sae_training.h) are "transcoder" with it.
  const std::string act =
      json_string_or(cfg, "activation_fn_str", json_string_or(cfg, "activation_fn", "relu", cf), cf);
  if ((arch == "standard" || arch == "transcoder") && act == "topk") {
    info.architecture = DictionaryArchitecture::TopK;
  } else if (act != "relu" && act != "topk") {
    throw Error(field(cf, "activation_fn") + " \"" + printable(act) + "\" is not supported (relu, topk)");
  }
  info.d_in = positive(cfg, "d_in", cf);
  info.d_sae = positive(cfg, "d_sae", cf);
  check_width(field(cf, "d_in"), info.d_in, config);
  info.d_out = transcoder && json_optional(cfg, "d_out", cf) ? positive(cfg, "d_out", cf) : info.d_in;
  check_width(field(cf, "d_out"), info.d_out, config);

  const json* hook = top_or_metadata(cfg, "hook_name", cf);
  if (!hook) throw Error(cf + ": missing \"hook_name\"");
  info.hook_in = json_string(*hook, field(cf, "hook_name"));
  if (transcoder) {
    const json* out = top_or_metadata(cfg, "hook_name_out", cf);
    if (!out) throw Error(cf + ": missing \"hook_name_out\" (a transcoder)");
    info.hook_out = json_string(*out, field(cf, "hook_name_out"));
    if (info.hook_out == info.hook_in)
      throw Error(field(cf, "hook_name_out") + " equals hook_name (a transcoder)");
  } else {
    info.hook_out = info.hook_in;
  }
  set_hooks(info, "hook_name", "hook_name_out", config);
  if (const json* hl = top_or_metadata(cfg, "hook_layer", cf)) {
    const long long l = json_integer(*hl, field(cf, "hook_layer"));
    if (l != info.layer) {
      throw Error(field(cf, "hook_layer") + " = " + std::to_string(l) + ", but hook_name \"" + info.hook_in +
                  "\" is in layer " + std::to_string(info.layer));
    }
  }
  const std::string norm = json_string_or(cfg, "normalize_activations", "none", cf);
  if (norm != "none") {
    throw Error(
        field(cf, "normalize_activations") + " \"" + printable(norm) +
        "\" is not supported (only \"none\"; a scaling factor must be folded into W_enc, W_dec and b_dec)");
  }
  if (json_bool_or(cfg, "finetuning_scaling_factor", false, cf)) {
    throw Error(field(cf, "finetuning_scaling_factor") + " is not supported");
  }
  const bool b_dec_in = json_bool_or(cfg, "apply_b_dec_to_input", !transcoder, cf);
  if (transcoder && b_dec_in)
    throw Error(field(cf, "apply_b_dec_to_input") + " must be false for a transcoder");
  if (info.architecture == DictionaryArchitecture::TopK) {
    const json* k = json_optional(cfg, "k", cf);
    std::string where = field(cf, "k");
    if (!k) {
      if (const json* kw = json_optional(cfg, "activation_fn_kwargs", cf)) {
        k = json_optional(*kw, "k", field(cf, "activation_fn_kwargs"));
        where = field(cf, "activation_fn_kwargs.k");
      }
    }
    if (!k) throw Error(cf + ": missing \"k\" (topk)");
    info.k = json_integer(*k, where);
    check_k(info, where);
  }

  const auto file = open_weights(info, {"sae_weights.safetensors"});
  auto d = std::make_unique<Dictionary::Impl>();
  d->w_enc = tensor(*file, "W_enc", {info.d_in, info.d_sae}, "d_in, d_sae");
  d->b_enc = tensor(*file, "b_enc", {info.d_sae}, "d_sae");
  d->w_dec = tensor(*file, "W_dec", {info.d_sae, info.d_out}, "d_sae, d_out");
  d->b_dec = tensor(*file, "b_dec", {info.d_out}, "d_out");
  if (b_dec_in) d->b_pre = d->b_dec;
  if (info.architecture == DictionaryArchitecture::JumpRelu) {
    d->threshold = tensor(*file, "threshold", {info.d_sae}, "d_sae");
  }
  if (info.architecture == DictionaryArchitecture::TopK &&
      json_bool_or(cfg, "rescale_acts_by_decoder_norm", false, cf)) {
    fold_decoder_norms(*d);
  }
  d->info = std::move(info);
  return d;
}

std::unique_ptr<Dictionary::Impl> load_llama_scope(DictionaryInfo info, const ModelConfig& config) {
  const std::string& cf = info.config_file;
  const json cfg = read_config(cf);
  info.format = DictionaryFormat::LlamaScope;
  info.d_in = info.d_out = positive(cfg, "d_model", cf);
  check_width(field(cf, "d_model"), info.d_in, config);
  if (json_optional(cfg, "d_sae", cf)) {
    info.d_sae = positive(cfg, "d_sae", cf);
  } else {
    info.d_sae = info.d_in * positive(cfg, "expansion_factor", cf);
    if (info.d_sae > kMaxFeatures)
      throw Error(field(cf, "expansion_factor") + " gives more than 2^26 features");
  }
  info.hook_in = json_string(json_member(cfg, "hook_point_in", cf), field(cf, "hook_point_in"));
  info.hook_out = json_string_or(cfg, "hook_point_out", info.hook_in, cf);
  set_hooks(info, "hook_point_in", "hook_point_out", config);
  if (json_bool_or(cfg, "use_glu_encoder", false, cf))
    throw Error(field(cf, "use_glu_encoder") + " is not supported");

  // lm_saes' defaults where a field is absent.
  const std::string act = json_string_or(cfg, "act_fn", "relu", cf);
  const json* jt = json_optional(cfg, "jump_relu_threshold", cf);
  const double jump = jt ? number(*jt, field(cf, "jump_relu_threshold")) : 0.0;
  if (act == "relu") {
    info.architecture = DictionaryArchitecture::Standard;
  } else if (act == "jumprelu" || (act == "topk" && jump > 0)) {
    info.architecture = DictionaryArchitecture::JumpRelu;
  } else if (act == "topk") {
    info.architecture = DictionaryArchitecture::TopK;
    const json* k = json_optional(cfg, "top_k", cf);
    info.k = k ? json_integer(*k, field(cf, "top_k")) : 50;
    check_k(info, field(cf, "top_k"));
  } else {
    throw Error(field(cf, "act_fn") + " \"" + printable(act) + "\" is not supported (relu, topk, jumprelu)");
  }
  const std::string norm = json_string_or(cfg, "norm_activation", "token-wise", cf);
  double s_in = 1.0, s_out = 1.0;
  if (norm == "dataset-wise") {
    const std::string where = field(cf, "dataset_average_activation_norm");
    const json& avg = json_member(cfg, "dataset_average_activation_norm", cf);
    const double in = number(json_member(avg, "in", where), where + ".in");
    const double out = number(json_member(avg, "out", where), where + ".out");
    if (!(in > 0) || !(out > 0)) throw Error(where + ": norms must be positive");
    s_in = std::sqrt(static_cast<double>(info.d_in)) / in;
    s_out = std::sqrt(static_cast<double>(info.d_out)) / out;
  } else if (norm != "inference" && norm != "none") {
    throw Error(field(cf, "norm_activation") + " \"" + printable(norm) +
                "\" is not supported (dataset-wise, inference, none)");
  }
  const bool use_b_dec = json_bool_or(cfg, "use_decoder_bias", true, cf);
  const bool b_dec_in = use_b_dec && json_bool_or(cfg, "apply_decoder_bias_to_pre_encoder", true, cf);
  const bool decoder_norm = json_bool_or(cfg, "sparsity_include_decoder_norm", true, cf);

  const auto file = open_weights(
      info, {"sae_weights.safetensors", "checkpoints/pruned.safetensors", "checkpoints/final.safetensors"});
  auto d = std::make_unique<Dictionary::Impl>();
  d->in_scale = s_in;
  d->out_scale = s_out;
  d->w_enc = tensor(*file, "encoder.weight", {info.d_sae, info.d_in}, "d_sae, d_model").t().contiguous();
  d->b_enc = tensor(*file, "encoder.bias", {info.d_sae}, "d_sae");
  const torch::Tensor w_d =
      tensor(*file, "decoder.weight", {info.d_out, info.d_sae}, "d_model, d_sae");  // [d, d_sae]
  d->w_dec = w_d.t().contiguous();                                                  // [d_sae, d]
  d->b_dec = use_b_dec ? tensor(*file, "decoder.bias", {info.d_out}, "d_model") : torch::zeros({info.d_out});
  if (b_dec_in) d->b_pre = d->b_dec;
  const torch::Tensor norms = w_d.pow(2).sum(0).sqrt();  // [d_sae] decoder column norms
  if (info.architecture == DictionaryArchitecture::JumpRelu) {
    if (file->tensors().count("log_jumprelu_threshold")) {
      // Learned per feature on normalised activations: already in the units of pre.
      d->threshold = tensor(*file, "log_jumprelu_threshold", {info.d_sae}, "d_sae").exp();
    } else {
      // lm_saes compares the scalar with pre in inference units, pre * c / s_in with c = |W_D[:, j]| * s_in /
      // s_out (decoder norms folded in) or c = 1; here pre > jump * s_in / c.
      torch::Tensor c = decoder_norm ? norms * (s_in / s_out) : torch::ones({info.d_sae});  // [d_sae]
      c = torch::where(c > 0, c, torch::ones_like(c));
      d->threshold = (jump * s_in / c).contiguous();
    }
  } else if (info.architecture == DictionaryArchitecture::TopK && decoder_norm) {
    d->rank_scale = norms;
  }
  d->info = std::move(info);
  return d;
}

}  // namespace

std::unique_ptr<Dictionary::Impl> load_dictionary_impl(const std::string& folder, const ModelConfig& config) {
  DictionaryInfo info;
  info.folder = folder;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw Error(folder + ": not a folder");
  const std::string saelens = (fs::path(folder) / "cfg.json").string();
  const std::string scope = (fs::path(folder) / "hyperparams.json").string();
  if (fs::exists(saelens, ec)) {
    info.config_file = saelens;
    return load_saelens(std::move(info), config);
  }
  if (fs::exists(scope, ec)) {
    info.config_file = scope;
    return load_llama_scope(std::move(info), config);
  }
  throw Error(folder + ": no cfg.json (SAELens) or hyperparams.json (Llama Scope)");
}

}  // namespace ce::core
