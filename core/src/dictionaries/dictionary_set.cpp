#include "ce/core/dictionaries/dictionary_set.h"

#include <algorithm>
#include <filesystem>

#include "ce/core/base/error.h"
#include "dictionaries/dictionary_ops.h"

namespace ce::core {

namespace {

namespace fs = std::filesystem;

bool is_dictionary_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && (fs::exists(p / "cfg.json", ec) || fs::exists(p / "hyperparams.json", ec));
}

}  // namespace

std::shared_ptr<const DictionarySet> DictionarySet::load(const std::string& path, const ModelConfig& config) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) throw Error(path + ": not a folder");
  std::vector<std::string> folders;
  if (is_dictionary_folder(path)) {
    folders.push_back(path);
  } else {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (is_dictionary_folder(entry.path())) folders.push_back(entry.path().string());
    }
    if (ec) throw Error(path + ": cannot list the folder: " + ec.message());
    std::sort(folders.begin(), folders.end());
  }
  if (folders.empty()) {
    throw Error(path + ": no dictionary folders in it (each needs cfg.json or hyperparams.json)");
  }
  std::shared_ptr<DictionarySet> set(new DictionarySet());
  set->path_ = path;
  set->by_layer_.resize(static_cast<size_t>(std::max<int64_t>(0, config.num_hidden_layers)));
  for (const std::string& folder : folders) {
    auto dict = std::make_unique<Dictionary>(Dictionary::load(folder, config));
    const DictionaryInfo& info = dict->info();
    auto& slot = set->by_layer_[static_cast<size_t>(info.layer)];  // the loader checked the layer's range
    if (slot) {
      throw Error(path + ": two dictionaries for layer " + std::to_string(info.layer) + " (" + slot->info().folder +
                  " and " + folder + ")");
    }
    if (set->d_sae_ != 0 && info.d_sae != set->d_sae_) {
      const Dictionary* first = set->at(set->layers().front());
      throw Error(path + ": d_sae differs between dictionaries (" + std::to_string(set->d_sae_) + " in " +
                  first->info().folder + ", " + std::to_string(info.d_sae) + " in " + folder +
                  "); a basis needs one width");
    }
    set->d_sae_ = info.d_sae;
    slot = std::move(dict);
  }
  return set;
}

std::string DictionarySet::resolve(const std::string& spec, const std::string& model_dir) {
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return spec;
  const fs::path shipped = fs::path(model_dir) / "dictionaries" / spec;
  if (!model_dir.empty() && fs::is_directory(shipped, ec)) return shipped.string();
  throw Error("dictionaries '" + spec + "': no such folder" +
              (model_dir.empty() ? std::string() : ", and " + shipped.string() + " does not exist"));
}

const Dictionary* DictionarySet::at(int layer) const {
  if (layer < 0 || static_cast<size_t>(layer) >= by_layer_.size()) return nullptr;
  return by_layer_[static_cast<size_t>(layer)].get();
}

std::vector<int> DictionarySet::layers() const {
  std::vector<int> out;
  for (size_t l = 0; l < by_layer_.size(); ++l) {
    if (by_layer_[l]) out.push_back(static_cast<int>(l));
  }
  return out;
}

uint32_t DictionarySet::fingerprint() const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, folded to 32 bits at the end
  auto mix = [&h](const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  auto mix_i = [&mix](int64_t v) { mix(&v, sizeof v); };
  auto mix_t = [&mix, &mix_i](const torch::Tensor& t) {
    mix_i(t.defined() ? t.numel() : -1);
    if (t.defined()) {
      const torch::Tensor c = t.to(torch::kCPU).contiguous();
      mix(c.data_ptr<float>(), static_cast<size_t>(c.numel()) * sizeof(float));
    }
  };
  for (int l : layers()) {
    const Dictionary::Impl& d = at(l)->impl();
    const DictionaryInfo& info = d.info;
    for (int64_t v : {static_cast<int64_t>(l), static_cast<int64_t>(info.site_in), static_cast<int64_t>(info.site_out),
                      static_cast<int64_t>(info.architecture), info.k, info.d_sae}) {
      mix_i(v);
    }
    mix(&d.in_scale, sizeof d.in_scale);
    for (const torch::Tensor* t : {&d.w_enc, &d.b_enc, &d.b_pre, &d.threshold, &d.rank_scale}) mix_t(*t);
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

std::string DictionarySet::name() const {
  const fs::path p = fs::path(path_).lexically_normal();
  const std::string last = p.filename().string();
  return last.empty() ? p.parent_path().filename().string() : last;
}

std::string DictionarySet::describe() const {
  bool sae = false, transcoder = false;
  std::string site;
  bool one_site = true;
  for (const auto& d : by_layer_) {
    if (!d) continue;
    const DictionaryInfo& info = d->info();
    (info.kind == DictionaryKind::Transcoder ? transcoder : sae) = true;
    const std::string s = dictionary_site_name(info.site_out);
    if (site.empty()) site = s;
    one_site = one_site && s == site;
  }
  const std::vector<int> ls = layers();
  std::string out = sae && transcoder ? "mixed" : transcoder ? "transcoder" : "sae";
  if (!transcoder && one_site) out += " " + site;
  // "L0-3" for a run of layers, "L0,2" otherwise.
  const bool run = ls.back() - ls.front() + 1 == static_cast<int>(ls.size());
  out += " L" + std::to_string(ls.front());
  for (size_t i = 1; i < ls.size() && !run; ++i) out += "," + std::to_string(ls[i]);
  if (run && ls.size() > 1) out += "-" + std::to_string(ls.back());
  return out;
}

}  // namespace ce::core
