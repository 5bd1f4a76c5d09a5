# `cmake --install` and `cpack -G DEB`: the binary, its man page and shell completions (generated
# at build time by the binary itself, from its command definitions), the example configs and the
# docs, at the paths Debian uses (GNUInstallDirs; DESTDIR is honoured by cmake --install).
include(GNUInstallDirs)

set(FREIGHTLINER_GENERATED_SHARE ${CMAKE_BINARY_DIR}/generated/share)
set(FREIGHTLINER_MAN_PAGE ${FREIGHTLINER_GENERATED_SHARE}/freightliner.1.gz)
set(FREIGHTLINER_BASH_COMPLETION ${FREIGHTLINER_GENERATED_SHARE}/freightliner.bash)
set(FREIGHTLINER_ZSH_COMPLETION ${FREIGHTLINER_GENERATED_SHARE}/_freightliner)

function(freightliner_generate output args)
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${FREIGHTLINER_GENERATED_SHARE}
    COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:freightliner> "-DARGS=${args}"
            -DOUTPUT=${output} ${ARGN} -P ${CMAKE_SOURCE_DIR}/cmake/Generate.cmake
    DEPENDS freightliner ${CMAKE_SOURCE_DIR}/cmake/Generate.cmake
    COMMENT "Generating ${output}"
    VERBATIM)
endfunction()
freightliner_generate(${FREIGHTLINER_MAN_PAGE} "man" -DGZIP=ON)
freightliner_generate(${FREIGHTLINER_BASH_COMPLETION} "completion;bash")
freightliner_generate(${FREIGHTLINER_ZSH_COMPLETION} "completion;zsh")
add_custom_target(freightliner_share ALL DEPENDS
  ${FREIGHTLINER_MAN_PAGE} ${FREIGHTLINER_BASH_COMPLETION} ${FREIGHTLINER_ZSH_COMPLETION})

install(TARGETS freightliner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${FREIGHTLINER_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${FREIGHTLINER_BASH_COMPLETION}
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME freightliner)
install(FILES ${FREIGHTLINER_ZSH_COMPLETION}
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES examples/sync.yaml examples/server.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES LICENSE NOTICE README.md CHANGELOG.md docs/CLI.md docs/SYNC.md docs/SERVER.md
  docs/METRICS.md docs/SECURITY.md packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB in a build directory: freightliner_VERSION_ARCH.deb. Depends is computed by
# dpkg-shlibdeps from the libraries the binary links, so it follows the build's own libraries.
set(FREIGHTLINER_MAINTAINER "Freightliner maintainers <maintainers@users.noreply.b-seed-4d92591b.example>"
  CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_NAME freightliner)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${FREIGHTLINER_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "replicate container images between OCI/Docker registries")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# TLS to public registries needs the CA bundle; the rest of Depends comes from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
# The body under the summary line: CPack indents each line as Debian's control format wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Freightliner copies container images between registries exactly: the same
bytes and the same digests, every platform of a multi-arch image, blobs
streamed from source to destination with their SHA-256 verified in flight.
It copies single images, whole repository trees and YAML-described syncs
(checkpointed and resumable), and runs as a service with an HTTP API,
scheduled syncs and Prometheus metrics.")
set(CPACK_GENERATOR DEB)
include(CPack)
