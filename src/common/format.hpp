#pragma once

#include <cstdint>
#include <string>

namespace freightliner {

// "12.3 MiB": binary units, one decimal above bytes.
std::string HumanBytes(uint64_t bytes);

}  // namespace freightliner
