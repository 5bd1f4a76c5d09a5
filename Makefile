# Thin wrapper over CMake presets and the project's scripts. `make demo` and `make test` are the
# README's two commands; both install what they need first.
.PHONY: deps build test demo demo-stop demo-cluster demo-cluster-stop format format-check release package deb asan tsan fuzz clean mixin

JOBS ?= $(shell nproc)
# How long each fuzz target runs in `make test` (scripts/fuzz.sh; 9 targets, one after another):
# a smoke run within CI's time budget; `make fuzz FUZZ_SECONDS=600` searches for real.
FUZZ_SECONDS ?= 10

deps:
	./scripts/deps.sh

build: deps release

release:
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

# -O3 without debug info, as a distribution builds it, with warnings as errors (the presets'
# FREIGHTLINER_WERROR): proves that a packager's plain Release build compiles without a warning.
package:
	cmake --preset package
	cmake --build --preset package -j $(JOBS)

# The Debian package of that build: build/package/freightliner_VERSION_ARCH.deb (cpack -G DEB).
deb: package
	cd build/package && cpack -G DEB

asan:
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

# Builds and runs the unit and concurrency-heavy integration tests under ThreadSanitizer.
tsan:
	JOBS=$(JOBS) ./scripts/tsan.sh

# Builds the libFuzzer targets (clang-14) and runs each for FUZZ_SECONDS.
fuzz:
	JOBS=$(JOBS) ./scripts/fuzz.sh $(FUZZ_SECONDS)

# Regenerates the rule files, the dashboards and the PrometheusRule from the monitoring mixin
# (monitoring/mixin/); commit the result. tests/monitoring/mixin.sh fails when they differ.
mixin:
	./monitoring/mixin/build.sh

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

# Every test (CI runs this): formatting; the Release build and the whole suite; its Debian
# package installed, run and removed; the same suite under ASan+UBSan (but the e2e and monitoring
# scripts and the cluster tests, mostly waiting on leases, which the Release and TSan runs cover:
# the CI time budget); unit and concurrency
# tests under TSan; then every fuzz target. The `release` preset (RelWithDebInfo, for
# development) is not built here: the Release build covers it.
test: deps format-check package asan
	ctest --preset package -j $(JOBS)
	./tests/package/deb_test.sh build/package
	ctest --preset asan -j $(JOBS)
	JOBS=$(JOBS) ./scripts/tsan.sh
	JOBS=$(JOBS) ./scripts/fuzz.sh $(FUZZ_SECONDS)

# Builds only what the demo runs (the freightliner binary, not the tests and benchmarks), then
# starts the stack; each step says how long it took.
define build_demo_binary
@t0=$$(date +%s); cmake --preset release > /dev/null && \
  cmake --build --preset release -j $(JOBS) --target freightliner && \
  echo "== freightliner built                $$(( $$(date +%s) - t0 )) s"
endef

demo: deps
	$(build_demo_binary)
	./scripts/stack.sh up

demo-stop:
	./scripts/stack.sh down

# The same stack in cluster mode: a real PostgreSQL 15 and three `serve` replicas sharing its jobs
# (scripts/stack.sh up-cluster; docs/SERVER.md, "Cluster mode").
demo-cluster: deps
	$(build_demo_binary)
	./scripts/stack.sh up-cluster

# `down` stops the stack whichever mode it runs in: demo-stop does the same.
demo-cluster-stop:
	./scripts/stack.sh down

clean:
	rm -rf build
