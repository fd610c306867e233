# ctest: the explorer must not link the demo world or its trainer (ce_demo is for circuit-trace and the tests).
# Run as cmake -DEXPLORER=... -DTRACE=... -P no_demo_in_explorer.cmake. The same pattern must match in
# circuit-trace, so that a renamed symbol cannot make this check pass by matching nothing.
set(pattern "ce::core::(train_demo_model|demo_recipe|CorpusGenerator|DatasetWriter|World::)")
foreach(var EXPLORER TRACE)
  execute_process(COMMAND nm -C "${${var}}" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm ${${var}} failed: ${err}")
  endif()
  string(REGEX MATCH "${pattern}[^\n]*" hit "${symbols}")
  set(${var}_HIT "${hit}")
endforeach()
if(TRACE_HIT STREQUAL "")
  message(FATAL_ERROR "no demo symbol found in ${TRACE}: the pattern is stale, fix this check")
endif()
if(NOT EXPLORER_HIT STREQUAL "")
  message(FATAL_ERROR "${EXPLORER} links the demo library: ${EXPLORER_HIT}")
endif()
message(STATUS "circuit-explorer holds no demo symbol; circuit-trace holds e.g. ${TRACE_HIT}")
