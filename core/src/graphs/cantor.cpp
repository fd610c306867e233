#include "ce/core/graphs/cantor.h"

#include <cmath>
#include <string>

#include "ce/core/base/error.h"

namespace ce::core {

namespace {

// w(w + 1) / 2, or false when it does not fit: halving the even factor first keeps the product exact.
bool triangle(uint64_t w, uint64_t* out) {
  const uint64_t a = (w % 2 == 0) ? w / 2 : w;
  const uint64_t b = (w % 2 == 0) ? w + 1 : (w + 1) / 2;
  if (w == UINT64_MAX) return false;  // w + 1 wraps
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace

uint64_t cantor_pair(uint64_t layer, uint64_t index) {
  uint64_t sum = 0, tri = 0, out = 0;
  if (__builtin_add_overflow(layer, index, &sum) || !triangle(sum, &tri) || __builtin_add_overflow(tri, index, &out)) {
    throw Error("Cantor pairing of (" + std::to_string(layer) + ", " + std::to_string(index) + ") exceeds 64 bits");
  }
  return out;
}

std::pair<uint64_t, uint64_t> cantor_unpair(uint64_t feature) {
  // w = floor((sqrt(8z + 1) - 1) / 2) from a double estimate, then corrected in integers: the estimate is off
  // by a few units near 2^64, where doubles no longer hold every integer.
  uint64_t w = static_cast<uint64_t>((std::sqrt(8.0 * static_cast<double>(feature) + 1.0) - 1.0) / 2.0);
  uint64_t tri = 0;
  while (!triangle(w, &tri) || tri > feature) --w;
  for (uint64_t next = 0; triangle(w + 1, &next) && next <= feature;) {
    ++w;
    tri = next;
  }
  const uint64_t index = feature - tri;
  return {w - index, index};
}

}  // namespace ce::core
