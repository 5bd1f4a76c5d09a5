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
  if(FREIGHTLINER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
