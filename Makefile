# The two commands of the README: `make run` and `make test`. Both install missing Debian packages.
JOBS ?= $(shell nproc)
# Tests mostly wait (on servers, child processes, timeouts): the normal suite keeps two cores a
# third busy at -j 2, so ctest runs one test more than JOBS. Measured on two cores: the ASan
# suite took 395 s at -j 2, 332 s at -j 3, 352 s at -j 4 (its processes then queue for the CPU);
# the normal suite 150 s at -j 2, 119 s at -j 4.
TEST_JOBS ?= $(shell echo $$(( $(JOBS) + 1 )))
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
CONFIG ?= feeds.toml
SOAK_SECONDS ?= 600
SOAK_FEEDS ?= 5000

.PHONY: deps build build-asan build-fuzz run test test-normal test-asan test-fuzz fuzz soak format clean

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The two trees only `make test` builds fail on a compiler warning (FEEDD_WERROR): ten warnings
# went unseen in the log for a round. The optimised tree, which `make run` builds too, only warns,
# so that a newer compiler's new warning does not stop someone running feedd.
build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFEEDD_SANITIZE=ON -DFEEDD_BENCH=OFF -DFEEDD_WERROR=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	$(BUILD)/feedd --config $(CONFIG) run

test-normal: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(TEST_JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(TEST_JOBS)

# libFuzzer targets, built with clang (the rest of the project builds with the default compiler).
build-fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEEDD_FUZZ=ON \
	  -DFEEDD_FUZZ_SECONDS=$(FUZZ_SECONDS) -DFEEDD_WERROR=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

test-fuzz:
	@$(MAKE) --no-print-directory build-fuzz FUZZ_SECONDS=10
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS (default 5 minutes), JOBS of them at a time.
fuzz: build-fuzz
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS)

# The suite twice (a normal build, then ASan+UBSan), then each fuzz target for 10 s (`make fuzz`: 5 minutes each).
test: test-normal test-asan test-fuzz

# The daemon against SOAK_FEEDS local feeds for SOAK_SECONDS (tests/soak/soak.cpp; SOAK_HOSTS,
# SOAK_INTERVAL and SOAK_SAMPLE pass through too). A long run: not part of `make test`.
soak: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target feedd feedd_soak
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_FEEDS=$(SOAK_FEEDS) $(BUILD)/tests/soak/feedd_soak

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
