# pilhub — two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   creates .venv if missing, installs, runs the main job on the embedded SQLite default
#   make test   creates .venv if missing, installs, runs the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-quick lint format airflow clean constraints

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "安装依赖 / installing dependencies (pinned by constraints.txt) …"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 \
		| grep -v "is ignored: it is neither a file nor a directory" || true
	@$(BIN)/python -c "import hub, sla, schemas, connectors" || (echo "install failed"; exit 1)
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python -m hub.demo

test: install
	$(BIN)/python -m pytest

# Airflow standalone with the DAGs and the agency sandbox, UI on http://127.0.0.1:8080 (Ctrl-C stops).
airflow: install
	$(BIN)/pilhub airflow up

test-quick: install
	$(BIN)/python -m pytest -m "not slow" -x -q

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

# Rewrite constraints.txt from the current venv after changing dependencies in pyproject.toml.
constraints: install
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf var/ .pytest_cache .ruff_cache
