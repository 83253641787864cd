# Thin wrapper for the two README commands; the build is CMake.
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-asan test-fuzz bench clean

all: build

deps:
	@sh conf/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j

run: build
	exec conf/run.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j2

test-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=AddressSanitizer -DWERROR=ON
	cmake --build $(BUILD)-asan -j
	ctest --test-dir $(BUILD)-asan --output-on-failure -j2

# The libFuzzer drivers, built with clang, replay their corpora
# (tests/corpus) as ctest tests; see docs/testing.md to grow them.
test-fuzz: deps
	@command -v clang >/dev/null || { echo "test-fuzz: clang is missing (conf/deps.sh installs it)" >&2; exit 1; }
	cmake -S . -B $(BUILD)-fuzz -DFUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)-fuzz -j --target fuzz
	ctest --test-dir $(BUILD)-fuzz -R '^fuzz_' --output-on-failure --no-tests=error

bench: build
	bash tests/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
