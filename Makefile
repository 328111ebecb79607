# xarch: the two commands for a fresh Debian 12 x86-64 machine.
#
#   make demo    install what is missing, build, run the workloads natively, under xarch and
#                under qemu, and print the comparison
#   make test    install what is missing, build, run every test
#
# One build profile only: release (the tests run guest programs; debug builds crawl).
# Installing packages needs root; as another user the deps step prints the apt-get line.

CARGO ?= cargo

.PHONY: all deps busybox workloads build test demo

all: build

deps:
	scripts/install-deps.sh

busybox: deps
	scripts/fetch-busybox.sh

workloads: deps
	bench/workloads/build.sh

build: deps
	$(CARGO) build --release

test: deps busybox workloads build
	$(CARGO) test --release --workspace

demo: deps workloads build
	target/release/xarch bench --quick -o report/results.json
	target/release/xarch report report/results.json -o report
