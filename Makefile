# Tracemark: the two set-up commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
SWIFT ?= swift
# CI sets CI=true: there every warning is an error.
ifeq ($(CI),true)
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
endif
DB ?= ./tracemark.sqlite

.PHONY: deps build run test bench bench-soak bench-devices bench-printing bench-stations bench-api bench-web install clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# The service on the embedded SQLite default: the demo's products, a look-up and a receiving
# station on loopback TCP scanners, and a folder printer (Config/demo.yaml).
run: build
	@test -e tracemark.sqlite || { $(SWIFT) run --skip-build tracemark demo --db tracemark.sqlite > /dev/null \
		&& $(SWIFT) run --skip-build tracemark operator add DEMO-1 --name "Demo supervisor" --role supervisor --db tracemark.sqlite > /dev/null; }
	@echo "Station page: http://127.0.0.1:8080/ (sign in at dock-1, pick-1, line-1 or lookup-1 with the badge DEMO-1)"
	@echo "Send a scan to the receiving station (dock-1), then post its receipt:"
	@echo "  printf '(01)09501101530003(17)391231(10)LOT42(30)12\\n' > /dev/tcp/127.0.0.1/7002   # bash; or | nc -q1 127.0.0.1 7002"
	@echo "  printf 'TM:DONE\\n' > /dev/tcp/127.0.0.1/7002"
	@echo "Look a code up at lookup-1: printf '(01)09501101530003(10)LOT42\\n' > /dev/tcp/127.0.0.1/7001"
	@echo "Start a production run of 3 at line-1 (its lot expires in a year), then see its labels and report:"
	@echo "  printf 'TM:RUN:PAINT-5L:3:%s\\n' \"\$$(date -d '+1 year' +%F)\" > /dev/tcp/127.0.0.1/7003"
	@echo "  $(SWIFT) run --skip-build tracemark station run-report line-1   # the verify scanner on 7004 reads each label's text"
	@echo "Labels appear in ./labels; every scan is in the scan log (table station_scans of tracemark.sqlite)."
	@echo "HTTP API on http://127.0.0.1:8080/api/v1 (openapi.yaml there); a token: $(SWIFT) run --skip-build tracemark token create --name me --role admin"
	$(SWIFT) run --skip-build tracemark serve --config Config/demo.yaml

# Builds, starts a throw-away PostgreSQL and a private cupsd on loopback, runs every test (the
# registry's on SQLite and PostgreSQL, the CUPS printer's against that cupsd), and stops both
# servers again (also when the tests fail). When tests fail, the server's own errors are shown
# (a deadlock or a lock timeout names its tables there; the client only says which test), then,
# last, the failed tests and, after a crash, the fatal error and the crashed thread's frames.
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	@pgdir=$$(mktemp -d /tmp/tracemark-test.XXXXXX); \
	trap 'scripts/cups.sh stop "$$pgdir/cups"; scripts/postgres.sh stop "$$pgdir/pg"; rm -rf "$$pgdir"' EXIT; \
	url=$$(TRACEMARK_PG_FAST=1 TRACEMARK_PG_OWNER=$$$$ scripts/postgres.sh start "$$pgdir/pg") || exit 1; \
	echo "PostgreSQL for tests: $$url"; \
	cups=$$(TRACEMARK_CUPS_OWNER=$$$$ scripts/cups.sh start "$$pgdir/cups") || exit 1; \
	echo "cupsd for tests: $$cups"; \
	TRACEMARK_TEST_POSTGRES_URL="$$url" TRACEMARK_TEST_CUPS_SERVER="$$cups" $(SWIFT) test --skip-build $(SWIFT_FLAGS) 2>&1 \
		| tee "$$pgdir/test.log"; status=$${PIPESTATUS[0]}; \
	if [ "$$status" -ne 0 ]; then \
		scripts/postgres-errors.sh "$$pgdir/pg/server.log"; scripts/test-failures.sh "$$pgdir/test.log"; exit $$status; \
	fi

# Benchmarks (release build, default durability; labels on one core): figures go to BENCHMARKS.md.
bench: deps
	$(SWIFT) build -c release --product RegistryBenchmarks
	python3 -m pip install --quiet --disable-pip-version-check biip
	@scripts/install-deps.sh libpq-dev
	@pgdir=$$(mktemp -d /tmp/tracemark-bench.XXXXXX); \
	trap 'scripts/postgres.sh stop "$$pgdir/pg"; rm -rf "$$pgdir"' EXIT; \
	url=$$(TRACEMARK_PG_OWNER=$$$$ scripts/postgres.sh start "$$pgdir/pg") || exit 1; \
	$(SWIFT) run -c release --skip-build RegistryBenchmarks --postgres "$$url" --workdir "$$pgdir" $(BENCH_ARGS)
	$(SWIFT) build -c release --product LabelBenchmarks
	taskset -c 0 $(SWIFT) run -c release --skip-build LabelBenchmarks Templates
	@scripts/install-deps.sh glabels
	Benchmarks/LabelBenchmarks/peers.sh Templates
	$(MAKE) bench-soak

# The soak (10 minutes; SOAK_SECONDS to change): tracemark serve with 4 receiving stations scanning and
# printing at a steady rate; its resident memory and open descriptors, the first minute against the last.
SOAK_SECONDS ?= 600
bench-soak: deps
	$(SWIFT) build -c release --product StationBenchmarks
	$(SWIFT) build -c release --product tracemark
	$(SWIFT) run -c release --skip-build StationBenchmarks --templates Templates --serve .build/release/tracemark --soak $(SOAK_SECONDS)

# Devices benchmarks (release build): decoding latency and throughput, serial through a pty.
bench-devices: deps
	$(SWIFT) build -c release --product DevicesBenchmarks
	$(SWIFT) run -c release --skip-build DevicesBenchmarks

# Printing benchmarks (release build): TCP 9100 transport to simulated printers on loopback, beside socat.
bench-printing: deps
	$(SWIFT) build -c release --product PrintingBenchmarks
	$(SWIFT) run -c release --skip-build PrintingBenchmarks $(BENCH_ARGS)

# Station benchmarks (release build): scan to label on SQLite and PostgreSQL beside socat, sustained
# scans per second, and the resident memory of an idle service with 20 stations.
bench-stations: deps
	$(SWIFT) build -c release --product StationBenchmarks
	$(SWIFT) build -c release --product tracemark
	@pgdir=$$(mktemp -d /tmp/tracemark-bench.XXXXXX); \
	trap 'scripts/postgres.sh stop "$$pgdir/pg"; rm -rf "$$pgdir"' EXIT; \
	url=$$(TRACEMARK_PG_OWNER=$$$$ scripts/postgres.sh start "$$pgdir/pg") || exit 1; \
	$(SWIFT) run -c release --skip-build StationBenchmarks --templates Templates --postgres "$$url" \
	    --serve .build/release/tracemark $(BENCH_ARGS)

# HTTP API benchmarks (release build): resolve among a million serials beside a constant route,
# and scans posted to a look-up station, loaded by wrk on loopback.
bench-api: deps
	@scripts/install-deps.sh wrk
	$(SWIFT) build -c release --product tracemark
	$(SWIFT) build -c release --product RegistryBenchmarks
	Benchmarks/APIBenchmarks/run.sh .build/release/tracemark .build/release/RegistryBenchmarks $(BENCH_SECONDS)

# The station page's Enter-to-verdict figures: its browser test (Tests/browser/station_page.py) on a
# release build of tracemark, in headless Chromium; the figures are printed, never asserted.
bench-web: deps
	$(SWIFT) build -c release --product tracemark
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	TRACEMARK_EXECUTABLE=.build/release/tracemark $(SWIFT) test --skip-build \
		--filter 'StationPageTests/anOperatorScansSeesTheVerdictAndPrintsInARealBrowser' 2>&1 | grep -E 'Enter to verdict|passed|failed'

# The release command on the PATH, with its templates, udev rules and systemd unit (root for /usr/local).
PREFIX ?= /usr/local
install: deps
	$(SWIFT) build -c release --product tracemark
	DESTDIR=$(DESTDIR) scripts/install.sh .build/release/tracemark $(PREFIX)

clean:
	rm -rf .build
