# swarmlink: build, image, tests and the local demo cluster.
#
#   make build       static binary bin/swarmlink (+ bin/rootfs/, the image's writable dirs)
#   make image       image $(IMAGE) on the engine DOCKER_HOST names; no registry needed
#   make test        unit tests (race detector), the e2e suite, then the demo test
#   make test-unit   go test -race over every package except ./test/..., then the mesh's allocation specs without it
#   make test-e2e    the e2e suite: a 3-node Swarm in network namespaces (root, Linux)
#   make test-demo   the README's demo as a newcomer runs it: demo, demo-break, demo-heal, demo-down
#   make demo        bring up the 3-node demo cluster with the stack; prints the UI URLs
#   make demo-down   tear the demo cluster down and check nothing is left
#   make demo-break FAULT=vxlan-in|vxlan-out|mtu|published|cut NODE=node3   break a link to watch
#   make demo-heal   undo every fault
#   make version     print the version builds are stamped with (git describe)
#   make scale       K real agents in network namespaces, no Docker (root, Linux): figures and
#                    faults, then everything removed; K=20 SUBSET_K=0 INTERVAL=5s (docs/scale.md)

GO         ?= go
IMAGE      ?= swarmlink:dev
# git describe names the commit (and -dirty for local changes) even without
# tags; outside a git checkout the binary falls back to the toolchain's stamp.
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null)
BIN        := bin/swarmlink
E2E_TIMEOUT ?= 35m
# The suite's JSON report; on failure its digest is printed last (test/cmd/e2edigest).
E2E_REPORT ?= $(CURDIR)/bin/e2e-report.json
MODULE     := github.com/swarmlink/swarmlink

.PHONY: build version image test test-unit test-e2e test-demo deps demo demo-down demo-break demo-heal clean scale

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION) -X main.revision=$(REVISION)" -o $(BIN) .
	mkdir -p bin/rootfs/tmp bin/rootfs/var/lib/swarmlink
	chmod 1777 bin/rootfs/tmp

version:
	@echo $(VERSION)

image: build
	DOCKER_BUILDKIT=0 docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) .

test: test-unit test-e2e test-demo

test-unit:
	$(GO) test -race $$($(GO) list ./... | grep -v '^$(MODULE)/test')
	$(GO) test -count=1 ./mesh -args -ginkgo.label-filter=alloc   # what -race cannot measure: sync.Pool drops at random under it

test-e2e: deps
	$(GO) test ./test/cluster/... ./test/sockproxy/... ./test/cmd/democluster/...
	$(GO) test -count=1 ./test/ui/...
	mkdir -p bin
	rm -f $(E2E_REPORT)
	$(GO) test ./test/e2e/... -v -count=1 -timeout $(E2E_TIMEOUT) -args -ginkgo.label-filter=e2e -ginkgo.v -ginkgo.timeout=32m \
		-ginkgo.json-report=$(E2E_REPORT) || { [ -f $(E2E_REPORT) ] && $(GO) run ./test/cmd/e2edigest $(E2E_REPORT); exit 1; }

# One cluster at a time: after the e2e suite's is gone.
test-demo: deps
	$(GO) test ./test/demo/... -v -count=1 -timeout 20m -args -ginkgo.v

deps:
	sh hack/deps.sh

demo: deps
	$(GO) run ./test/cmd/democluster up

demo-down:
	$(GO) run ./test/cmd/democluster down

demo-break:
	$(GO) run ./test/cmd/democluster break $(FAULT) $(NODE)

demo-heal:
	$(GO) run ./test/cmd/democluster heal

# The harness and its agents run at nice 19 and the whole run is bounded
# (SIGTERM at SCALE_TIMEOUT, on which it still tears down). A run killed
# harder is cleaned by the next one, or by bin/scale -cleanup.
K          ?= 20
SUBSET_K   ?= 0
INTERVAL   ?= 5s
SCALE_TIMEOUT ?= 4m
scale:
	CGO_ENABLED=0 nice -n 19 $(GO) build -o bin/scale ./test/scale/cmd/scale
	nice -n 19 timeout $(SCALE_TIMEOUT) bin/scale -k $(K) -subset-k $(SUBSET_K) -interval $(INTERVAL)

clean:
	rm -rf bin

# make vuln: govulncheck ./... for known vulnerabilities reachable from the
# code. It needs https://vuln.go.dev: without it (an offline CI machine) it
# says "skipped: database unreachable" and succeeds, and likewise when the
# tool cannot be fetched; findings, or any other failure, fail it.
# GOVULNCHECK is fetched through the module proxy like any module.
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@latest

.PHONY: vuln

vuln:
	@if ! tool=$$($(GO) run $(GOVULNCHECK) -version 2>&1); then \
		echo "govulncheck skipped: could not fetch $(GOVULNCHECK)"; \
		printf '%s\n' "$$tool" | tail -n 3 | sed 's/^/  /'; exit 0; \
	fi; \
	out=$$($(GO) run $(GOVULNCHECK) ./... 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ] && printf '%s\n' "$$out" | grep -q '^govulncheck: fetching vulnerabilities'; then \
		echo "govulncheck skipped: database unreachable"; \
		printf '%s\n' "$$out" | grep 'fetching vulnerabilities' | sed 's/^/  /'; exit 0; \
	fi; \
	printf '%s\n' "$$out"; exit $$rc
