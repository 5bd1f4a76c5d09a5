# Our own targets build with a strict warning set; third-party headers come in as SYSTEM includes.
# Warnings are errors only when asked (every preset, hence CI, asks): a packager's plain
# `cmake -DCMAKE_BUILD_TYPE=Release` with another compiler version must not fail on a new warning.
option(FREIGHTLINER_WERROR "Treat compiler warnings as errors" OFF)

function(freightliner_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough
    # Designated initializers leave the other members at their defaults on purpose.
    -Wno-missing-field-initializers)
  # GCC 12, when it inlines (-O2, -O3), reports -Wrestrict inside char_traits.h for code such as
  # `"t" + std::to_string(i)` (operator+(const char*, std::string&&)): a false positive of that
  # compiler (GCC bug 105329, fixed in GCC 13). Which files it hits changes with unrelated edits
  # (inlining budgets), so it is off for GCC 12's optimised builds, not file by file; our code
  # calls no restrict-qualified C function itself, and Debug builds and other compilers keep it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-Wno-restrict>)
  endif()
  if(FREIGHTLINER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
