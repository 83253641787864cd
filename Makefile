# Thin wrapper for the two README commands; the build is CMake.
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-asan bench clean

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

bench: build
	sh tests/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
