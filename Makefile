# One-command entry points. `make demo` and `make test` are the two the README promises.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := demo
ARCHIVER := $(BIN)/archiver --config $(DEMO)/archiver.toml
DEMO_BIND ?= 127.0.0.1:8080
DEMO_PASSWORD := demo-password-2026

.PHONY: install lint test demo bench screenshots clean

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
	@echo; echo "# The records officer's web application: a demo account (password twice on"
	@echo "# standard input), then the server, in the foreground until Ctrl-C:"
	printf '%s\n%s\n' '$(DEMO_PASSWORD)' '$(DEMO_PASSWORD)' | $(ARCHIVER) users add demo \
	  --role records-officer --display-name "Demo Officer"
	@echo; echo "Open http://$(DEMO_BIND)/ and sign in as demo, password $(DEMO_PASSWORD),"
	@echo "with the code an authenticator app makes from the TOTP secret above (add it by"
	@echo "hand or from the otpauth:// address; \`oathtool --totp -b SECRET\` prints the code)."
	@echo
	$(ARCHIVER) web --bind $(DEMO_BIND)

# The browser tests' screenshots of the main pages, into the user guide's images.
screenshots: install
	$(BIN)/python -m pytest -q tests/web
	mkdir -p docs/images/web
	install -m 0644 test-artefacts/*.png docs/images/web/

bench: install
	$(BIN)/python benchmarks/import_bench.py --size 200M

clean:
	rm -rf $(DEMO) .pytest_cache .mypy_cache .ruff_cache
