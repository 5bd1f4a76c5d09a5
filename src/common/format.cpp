#include "common/format.hpp"

#include <array>
#include <cstdio>

namespace freightliner {

std::string HumanBytes(uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf.data();
}

}  // namespace freightliner
