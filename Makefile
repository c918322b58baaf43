# skiff — two commands for a newcomer on a fresh Debian 12 box with Swift:
#   make run    install what is missing, build, start a single-node server (SQLite) and say how to use kubectl
#   make test   every test: unit, in-process, crash and (as root) real-containerd end-to-end
SHELL := /bin/bash
SWIFT ?= swift
DATA_DIR ?= $(if $(filter 0,$(shell id -u)),/var/lib/skiff,$(HOME)/.skiff)
KUBECONFIG_OUT ?= $(if $(filter 0,$(shell id -u)),/etc/skiff/skiff.yaml,$(HOME)/.skiff/skiff.yaml)
BIN := .build/debug/skiff

.PHONY: deps build run test bench bench-store bench-datastores clean fmt fmt-check

deps:
	@contrib/install-deps.sh

build: deps
	$(SWIFT) build --product skiff

run: build airgap
	@mkdir -p $(DATA_DIR)/agent/images && cp -u $(AIRGAP_TAR) $(DATA_DIR)/agent/images/
	@echo "starting skiff server (data dir $(DATA_DIR)); in another shell:"
	@echo "  export KUBECONFIG=$(KUBECONFIG_OUT); kubectl get nodes"
	@echo "  (or: $(BIN) kubectl get nodes)"
	$(BIN) server --data-dir $(DATA_DIR) --write-kubeconfig $(KUBECONFIG_OUT)

# One build configuration (debug) for all tests: CI builds cold every time.
test: deps airgap fmt-check
	$(SWIFT) build --build-tests
	SKIFF_BIN=$(CURDIR)/$(BIN) $(SWIFT) test --skip-build
	@tests/e2e/run-all.sh $(BIN)

# Offline image bundle (busybox + pause) the agent imports into containerd; see airgap/README.md.
AIRGAP_TAR := airgap/dist/skiff-airgap-images-amd64.tar
.PHONY: airgap
airgap: $(AIRGAP_TAR)

$(AIRGAP_TAR): airgap/build.py airgap/pause/pause.c $(wildcard /bin/busybox)
	python3 airgap/build.py

# swift-format with the project's .swift-format (4 spaces, 120 columns) over the hand-written code.
fmt:
	scripts/swift-files.sh | xargs $(SWIFT) format format --configuration .swift-format -i

fmt-check:
	@scripts/swift-files.sh | xargs $(SWIFT) format lint --strict --configuration .swift-format \
	  || { echo "formatting differs from .swift-format: run make fmt"; exit 1; }

bench: bench-store

bench-store:
	bench/store/run.sh

# Every datastore in one run: SQLite, PostgreSQL with one and two servers, etcd (root; a few minutes).
bench-datastores:
	bench/postgres/run.sh

clean:
	rm -rf .build .build-* airgap/dist
