# The two commands of the README: `make run` and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all run test build build-asan deps deps-test test-unit test-asan bench fuzz format clean

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEBOTA_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the device simulator on ./webota-flash.bin (created on first run).
run: build
	./$(BUILD)/webota sim $(SIM_ARGS)

build-asan: deps-test
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEBOTA_WERROR=ON \
	  -DWEBOTA_SANITIZE=ON -DWEBOTA_BROWSER_TESTS=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-unit: deps-test build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@grep -h '^powerloss: \(held upload: \)\?[0-9]' $(BUILD)/Testing/Temporary/LastTest.log | sed 's/^/webota: /'
	@echo "webota: bare-metal code size of the core + crypto port (-Os, text+data+bss; per module: ctest -V -R cross):"
	@arm-none-eabi-size -t $(BUILD)/cross/cortex-m4/libwebota_cortex-m4.a | tail -1 | awk '{print "  Cortex-M4 (arm-none-eabi-gcc): " $$4 " bytes"}'
	@riscv64-unknown-elf-size -t $(BUILD)/cross/rv32imc/libwebota_rv32imc.a | tail -1 | awk '{print "  RV32IMC (riscv64-unknown-elf-gcc): " $$4 " bytes"}'

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# Every test: the -Werror build, then the ASan+UBSan build.
test: test-unit test-asan
	@echo "webota: all tests passed (normal and ASan/UBSan builds)"

# Benchmarks (not tests): instructions, heap and code size, see bench/README.md.
bench: deps-test
	bench/run.sh

# Longer fuzzing than ctest's bounded runs: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 120
fuzz: build-asan
	@for t in $(ASAN_BUILD)/tests/fuzz_*; do \
	  name=$$(basename $$t); mkdir -p $(ASAN_BUILD)/fuzz-long/$$name; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(ASAN_BUILD)/fuzz-long/$$name || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
