# FREIGHTLINER_FUZZ: builds the libFuzzer targets of fuzz/ instead of the binary's tests and
# benchmarks. Needs clang (the `fuzz` preset sets clang-14 and ASan+UBSan): every object gets
# libFuzzer's coverage instrumentation; fuzz/CMakeLists.txt links the targets with libFuzzer.
option(FREIGHTLINER_FUZZ "Build the libFuzzer targets of fuzz/ (clang only)" OFF)
if(FREIGHTLINER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FREIGHTLINER_FUZZ needs clang (use the fuzz preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
