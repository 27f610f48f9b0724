# One-command entry points. `make demo` and `make test` are the two the README promises.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := demo
ARCHIVER := $(BIN)/archiver --config $(DEMO)/archiver.toml

.PHONY: install lint test demo bench clean

$(BIN)/archiver: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/archiver

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

demo: install
	rm -rf $(DEMO)
	$(BIN)/archiver init $(DEMO)
	$(ARCHIVER) import examples/*.eml
	$(ARCHIVER) students import examples/students.csv
	@echo; echo "# The same message again is no new record, just a second arrival of the first:"
	$(ARCHIVER) show $$($(ARCHIVER) import --json examples/01-gmail-inline-absence.eml \
	  | $(BIN)/python -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')
	@echo; echo "# Search: every word must match, quoted words are a phrase; and by student:"
	$(ARCHIVER) search spanish '"missing work"'
	$(ARCHIVER) search --student 104233
	@echo; echo "# Mail dropped into the maildir source ($(DEMO)/inbox, outside the archive in"
	@echo "# $(DEMO)/archive) is collected and filed in $(DEMO)/inbox/.Archived; reconcile checks"
	@echo "# every filed copy is in the archive, and would re-ingest any the database had lost:"
	cp examples/09-thunderbird-forward.eml $(DEMO)/inbox/new/
	$(ARCHIVER) poll
	$(ARCHIVER) reconcile
	@echo
	$(ARCHIVER) verify
	$(ARCHIVER) verify --index
	$(ARCHIVER) audit verify

bench: install
	$(BIN)/python benchmarks/import_bench.py --size 200M

clean:
	rm -rf $(DEMO) .pytest_cache .mypy_cache .ruff_cache
