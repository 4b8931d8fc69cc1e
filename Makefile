# Tracemark: the two set-up commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
SWIFT ?= swift
# CI sets CI=true: there every warning is an error.
ifeq ($(CI),true)
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
endif
DB ?= ./tracemark.sqlite

.PHONY: deps build run test bench bench-devices bench-printing clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# Until the stations issue lands, `make run` demonstrates the registry on the embedded SQLite default.
run: build
	$(SWIFT) run $(SWIFT_FLAGS) tracemark demo --db $(DB)

# Builds, starts a throw-away PostgreSQL and a private cupsd on loopback, runs every test (the
# registry's on SQLite and PostgreSQL, the CUPS printer's against that cupsd), and stops both
# servers again (also when the tests fail).
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	@pgdir=$$(mktemp -d /tmp/tracemark-test.XXXXXX); \
	trap 'scripts/cups.sh stop "$$pgdir/cups"; scripts/postgres.sh stop "$$pgdir/pg"; rm -rf "$$pgdir"' EXIT; \
	url=$$(TRACEMARK_PG_FAST=1 scripts/postgres.sh start "$$pgdir/pg") || exit 1; \
	echo "PostgreSQL for tests: $$url"; \
	cups=$$(scripts/cups.sh start "$$pgdir/cups") || exit 1; \
	echo "cupsd for tests: $$cups"; \
	TRACEMARK_TEST_POSTGRES_URL="$$url" TRACEMARK_TEST_CUPS_SERVER="$$cups" $(SWIFT) test --skip-build $(SWIFT_FLAGS)

# Benchmarks (release build, default durability; labels on one core): figures go to BENCHMARKS.md.
bench: deps
	$(SWIFT) build -c release --product RegistryBenchmarks
	python3 -m pip install --quiet --disable-pip-version-check biip
	@pgdir=$$(mktemp -d /tmp/tracemark-bench.XXXXXX); \
	trap 'scripts/postgres.sh stop "$$pgdir/pg"; rm -rf "$$pgdir"' EXIT; \
	url=$$(scripts/postgres.sh start "$$pgdir/pg") || exit 1; \
	$(SWIFT) run -c release --skip-build RegistryBenchmarks --postgres "$$url" --workdir "$$pgdir" $(BENCH_ARGS)
	$(SWIFT) build -c release --product LabelBenchmarks
	taskset -c 0 $(SWIFT) run -c release --skip-build LabelBenchmarks Templates
	@scripts/install-deps.sh glabels
	Benchmarks/LabelBenchmarks/peers.sh Templates

# Devices benchmarks (release build): decoding latency and throughput, serial through a pty.
bench-devices: deps
	$(SWIFT) build -c release --product DevicesBenchmarks
	$(SWIFT) run -c release --skip-build DevicesBenchmarks

# Printing benchmarks (release build): TCP 9100 transport to simulated printers on loopback, beside socat.
bench-printing: deps
	$(SWIFT) build -c release --product PrintingBenchmarks
	$(SWIFT) run -c release --skip-build PrintingBenchmarks $(BENCH_ARGS)

clean:
	rm -rf .build
