# FREIGHTLINER_SANITIZE: "" | "address;undefined" | "thread". Applied to every target of the tree.
set(FREIGHTLINER_SANITIZE "" CACHE STRING "Sanitizers to enable (address;undefined or thread)")
if(FREIGHTLINER_SANITIZE)
  string(REPLACE ";" "," _san "${FREIGHTLINER_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
