// A tiny random Llama model written by the tests (two layers, d = 8), on which the feature-basis suites compute
// by hand what the engine computes. White-box: includes torch and core's weight layout.
#pragma once

#include <QFile>
#include <QString>
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>
#include <vector>

#include "ce/core/base/resources.h"
#include "ce/core/model/model_config.h"
#include "dictionary_files.h"
#include "io/llama_weight_spec.h"

namespace ce::test {

// Two layers, d = 8, two heads of 4, 16 neurons; the demo model's tokenizer (vocab 2048).
inline ce::core::ModelConfig tiny_config() {
  ce::core::ModelConfig c;
  c.hidden_size = 8;
  c.intermediate_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 2;
  c.head_dim = 4;
  c.vocab_size = 2048;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = false;
  return c;
}

// Random weights (deterministic for `seed`), config.json and the demo model's tokenizer files in `dir`.
inline void write_model(const QString& dir, const ce::core::ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  Tensors w;
  for (const auto& [name, shape] : ce::core::llama_weight_shapes(c, true)) w[name] = torch::randn(shape);
  write_tensors((dir + "/model.safetensors").toStdString(), w);
  std::ofstream((dir + "/config.json").toStdString()) << c.to_json();
  const QString geo = QString::fromStdString(ce::core::default_model_dir());
  QVERIFY(QFile::copy(geo + "/tokenizer.model", dir + "/tokenizer.model"));
  QVERIFY(QFile::copy(geo + "/tokenizer_config.json", dir + "/tokenizer_config.json"));
}

inline torch::Tensor ids_of(const std::vector<int>& v) {
  return torch::tensor(std::vector<int64_t>(v.begin(), v.end())).unsqueeze(0);  // [1, t]
}

}  // namespace ce::test
