# Every target runs scripts/setup.sh first, so a fresh Debian 12 machine needs nothing else.
BUILD      ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
DATA       ?= var/demo

FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build test demo check-asan bench fuzz format clean mutants package

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The Debian package (scripts/package/), checked by lintian: build/kakitome_<version>_amd64.deb.
package: build
	@cd $(BUILD) && cpack -G DEB
	@lintian --fail-on error $(BUILD)/kakitome_*.deb

demo: build
	@scripts/demo.sh $(BUILD)/kakitome $(DATA)

check-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKAKITOME_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# Bounded fuzzing of intake and the Office/xlsx readers, seeded with the test fixtures; not in CI.
fuzz: setup
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAKITOME_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@mkdir -p $(FUZZ_BUILD)/corpus/ingest $(FUZZ_BUILD)/corpus/office
	@cp tests/data/fixtures/mail/*.eml $(FUZZ_BUILD)/corpus/ingest/
	@cp tests/data/fixtures/encrypted/*.xlsx tests/data/fixtures/forms/*.xlsx $(FUZZ_BUILD)/corpus/office/
	$(FUZZ_BUILD)/tests/fuzz/ingest_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=200000 $(FUZZ_BUILD)/corpus/ingest
	$(FUZZ_BUILD)/tests/fuzz/office_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=200000 $(FUZZ_BUILD)/corpus/office

bench: build
	@$(BUILD)/kakitome bench append --threads 1,8,32 --mode sync --events 200000 --max-seconds 20
	@$(BUILD)/kakitome bench append --threads 1,8,32 --mode buffered --events 200000
	@$(BUILD)/kakitome bench append --threads 1,8,32 --mode buffered --events 200000 --batch 10
	@$(BUILD)/kakitome bench canonical-json
	@$(BUILD)/kakitome bench append --threads 1,8,32 --mode replicated
	@$(BUILD)/kakitome bench decrypt --file tests/data/fixtures/encrypted/valid_basic.agile.xlsx --password Maina2025
	@$(BUILD)/kakitome bench incident --events 1000000
	@$(BUILD)/kakitome bench shapes --mode sync
	@bench/startup_bench.sh $(BUILD)/kakitome 1000000
	@bench/api_bench.sh $(BUILD)/kakitome 30 32

# One deliberate bug at a time from tests/mutants.tsv; every one must be killed by a test.
# Not in CI (each mutant is a rebuild); run before stopping, on the modules a change touched:
# make mutants ONLY='disclosures|chain'
mutants: build
	@/usr/bin/python3 scripts/mutants.py $(BUILD) "$(ONLY)"

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
