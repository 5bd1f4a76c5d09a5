# Thin wrapper over CMake presets and the project's scripts. `make demo` and `make test` are the
# README's two commands; both install what they need first.
.PHONY: deps build test demo demo-stop format format-check release asan clean

JOBS ?= $(shell nproc)

deps:
	./scripts/deps.sh

build: deps release

release:
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

asan:
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

# Every test: formatting, the optimised build, then the same suite under ASan+UBSan.
test: deps format-check release asan
	ctest --preset release -j $(JOBS)
	ctest --preset asan -j $(JOBS)

demo: build
	./scripts/stack.sh up

demo-stop:
	./scripts/stack.sh down

clean:
	rm -rf build
