// Small deterministic PRNG for the synthetic-world generators.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ce::core {

// SplitMix64 (Steele, Lea, Flood 2014). The generators use it instead of <random> distributions because
// std::uniform_int_distribution and std::shuffle produce different sequences on different standard
// libraries, and the corpus, datasets and shipped model must be byte-identical everywhere for a seed.
// Every helper here is defined bit-exactly (integer arithmetic, exact double conversion).
// Not thread-safe: one instance per thread.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  // An independent-looking seed for sub-stream `stream` of `seed`, so that adding draws to one stream
  // (say, the corpus) never shifts another (say, the held-out selection).
  static uint64_t derive(uint64_t seed, uint64_t stream) {
    SplitMix64 mixer(seed ^ (stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL));
    mixer.next();
    return mixer.next();
  }

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be > 0. Rejection keeps it unbiased.
  size_t below(size_t n) {
    const uint64_t bound = static_cast<uint64_t>(n);
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod n
    uint64_t x = next();
    while (x < threshold) x = next();
    return static_cast<size_t>(x % bound);
  }

  // Uniform in [lo, hi], inclusive.
  int between(int lo, int hi) { return lo + static_cast<int>(below(static_cast<size_t>(hi - lo + 1))); }

  // True with probability p; the 53-bit conversion is exact, so the outcome is platform-independent.
  bool chance(double p) { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0) < p; }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

  // Fisher-Yates with our own draws (std::shuffle's algorithm is unspecified).
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

  // Index drawn with probability weights[i] / sum(weights); weights are non-negative, sum > 0.
  size_t weighted(const std::vector<unsigned>& weights) {
    uint64_t total = 0;
    for (unsigned w : weights) total += w;
    uint64_t x = below(static_cast<size_t>(total));
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  uint64_t state_;
};

}  // namespace ce::core
