# Writes what the built binary prints for ARGS into OUTPUT (gzip -9n when GZIP is set, so that
# the same input gives the same bytes). Used at build time for the man page and the completions:
#   cmake -DBINARY=... -DARGS="completion;bash" -DOUTPUT=... [-DGZIP=ON] -P Generate.cmake
if(GZIP)
  execute_process(COMMAND ${BINARY} ${ARGS} COMMAND gzip -9n
    OUTPUT_FILE ${OUTPUT}.tmp RESULTS_VARIABLE results)
else()
  execute_process(COMMAND ${BINARY} ${ARGS} OUTPUT_FILE ${OUTPUT}.tmp RESULTS_VARIABLE results)
endif()
foreach(result IN LISTS results)
  if(NOT result EQUAL 0)
    file(REMOVE ${OUTPUT}.tmp)
    message(FATAL_ERROR "`${BINARY} ${ARGS}` failed (${results})")
  endif()
endforeach()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
