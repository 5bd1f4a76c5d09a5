# Warnings are errors for our own targets; third-party headers come in as SYSTEM includes.
function(freightliner_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough -Werror
    # Designated initializers leave the other members at their defaults on purpose.
    -Wno-missing-field-initializers)
endfunction()
