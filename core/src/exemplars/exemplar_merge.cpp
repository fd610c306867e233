// merge_exemplar_indexes (declared in exemplar_builder.h): torch-free, it only reads and writes index files.
#include <algorithm>
#include <memory>
#include <unordered_map>

#include "ce/core/exemplars/exemplar_builder.h"
#include "exemplars/exemplar_format.h"

namespace ce::core {

ExemplarIndexInfo merge_exemplar_indexes(const std::vector<std::string>& inputs, const std::string& out_path) {
  if (inputs.empty()) throw Error("exemplars-merge: no input indexes given");
  std::vector<std::unique_ptr<ExemplarIndex>> indexes;
  for (const std::string& path : inputs) indexes.push_back(ExemplarIndex::open(path));
  const ExemplarIndexInfo& first = indexes[0]->info();
  ExemplarIndexInfo out = first;
  out.shards.clear();
  out.tokens_seen = 0;
  out.windows_seen = 0;
  std::vector<bool> taken(static_cast<size_t>(first.shard_count), false);
  for (size_t i = 0; i < indexes.size(); ++i) {
    const ExemplarIndexInfo& in = indexes[i]->info();
    const std::string& path = inputs[i];
    auto differs = [&](const std::string& what, const std::string& a, const std::string& b) {
      return Error(path + ": cannot merge with " + inputs[0] + ": " + what + " " + a + " vs " + b);
    };
    if (in.model_fingerprint != first.model_fingerprint || in.layers != first.layers || in.vocab != first.vocab) {
      throw differs("built for another model:", "fingerprint " + std::to_string(in.model_fingerprint),
                    std::to_string(first.model_fingerprint));
    }
    if (in.basis != first.basis) throw differs("other basis:", basis_name(in.basis), basis_name(first.basis));
    if (in.dictionaries_hash != first.dictionaries_hash) {
      throw differs("other dictionaries:", "fingerprint " + std::to_string(in.dictionaries_hash),
                    std::to_string(first.dictionaries_hash));
    }
    if (in.neurons != first.neurons) throw differs("neurons", std::to_string(in.neurons), std::to_string(first.neurons));
    if (in.top_k != first.top_k) throw differs("top_k", std::to_string(in.top_k), std::to_string(first.top_k));
    if (in.context != first.context) throw differs("context", std::to_string(in.context), std::to_string(first.context));
    if (in.corpus_hash != first.corpus_hash || in.max_tokens != first.max_tokens) {
      throw differs("built on another corpus or --max-tokens:", std::to_string(in.corpus_hash),
                    std::to_string(first.corpus_hash));
    }
    if (in.shard_count != first.shard_count) {
      throw differs("shard count", std::to_string(in.shard_count), std::to_string(first.shard_count));
    }
    if (in.batch != first.batch) {
      throw differs("batch size (shards are batches of windows)", std::to_string(in.batch), std::to_string(first.batch));
    }
    for (int s : in.shards) {
      if (taken[static_cast<size_t>(s)]) {
        throw Error(path + ": shard " + std::to_string(s) + "/" + std::to_string(in.shard_count) +
                    " is already in another input (each shard may be merged once)");
      }
      taken[static_cast<size_t>(s)] = true;
      out.shards.push_back(s);
    }
    out.tokens_seen += in.tokens_seen;
    out.windows_seen += in.windows_seen;
  }
  std::sort(out.shards.begin(), out.shards.end());
  // All shards together are the single run: write it as one, so the file equals that run's byte for byte.
  if (static_cast<int>(out.shards.size()) == out.shard_count) {
    out.shard_count = 1;
    out.shards = {0};
  }

  std::unordered_map<uint64_t, std::pair<size_t, uint32_t>> window_home;  // corpus window -> (input, stored)
  for (size_t i = 0; i < indexes.size(); ++i) {
    for (uint64_t w = 0; w < indexes[i]->info().window_count; ++w) {
      window_home.emplace(indexes[i]->window_number(static_cast<uint32_t>(w)), std::make_pair(i, static_cast<uint32_t>(w)));
    }
  }
  const size_t slot_count = static_cast<size_t>(out.layers) * static_cast<size_t>(out.neurons) * 2;
  std::vector<std::vector<ExemplarCandidate>> slots(slot_count);
  for (int layer = 0; layer < out.layers; ++layer) {
    for (int neuron = 0; neuron < out.neurons; ++neuron) {
      for (Polarity p : {Polarity::Positive, Polarity::Negative}) {
        std::vector<ExemplarCandidate>& slot =
            slots[(static_cast<size_t>(layer) * static_cast<size_t>(out.neurons) + static_cast<size_t>(neuron)) * 2 +
                  static_cast<size_t>(p)];
        for (const auto& index : indexes) {
          for (int rank = 0; rank < out.top_k; ++rank) {
            const ExemplarIndex::Record r = index->record(layer, neuron, p, rank);
            if (r.window == kNoWindow) break;
            slot.push_back({r.activation, index->window_number(r.window), r.position});
          }
        }
        std::sort(slot.begin(), slot.end(),
                  [p](const ExemplarCandidate& a, const ExemplarCandidate& b) { return exemplar_before(a, b, p); });
        if (slot.size() > static_cast<size_t>(out.top_k)) slot.resize(static_cast<size_t>(out.top_k));
      }
    }
  }
  write_exemplar_file(out_path, out, slots, [&](uint64_t window) {
    const auto& [input, stored] = window_home.at(window);
    return indexes[input]->window_tokens(stored);
  });
  return out;
}

}  // namespace ce::core
