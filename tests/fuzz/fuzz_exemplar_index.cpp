// The exemplar index (.cexi): open() validates the header and the sections' layout; records are checked when
// read, and a bad one must cost only that neuron's list (an Error from exemplars(), never a crash).
#include <algorithm>

#include "ce/core/base/error.h"
#include "ce/core/exemplars/exemplar_index.h"
#include "fuzz_target.h"

CE_FUZZ_TARGET(exemplar_index) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("index.cexi", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const auto index = ce::core::ExemplarIndex::open(path);
        const auto& info = index->info();
        for (int layer = 0; layer < std::min(info.layers, 4); ++layer) {
          for (int neuron = 0; neuron < std::min(info.neurons, 8); ++neuron) {
            for (auto polarity : {ce::core::Polarity::Positive, ce::core::Polarity::Negative}) {
              ce::fuzz::run_guarded([&] { (void)index->exemplars(layer, neuron, polarity); }, path, input);
            }
          }
        }
      },
      path, input);
}
