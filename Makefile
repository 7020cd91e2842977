# mlgate — every target bootstraps what it needs (a virtual environment in .venv with mlgate installed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo bench bench-noise lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "make: setting up $(VENV) with mlgate and its dependencies (about a minute the first time)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup

demo: $(STAMP)
	$(PY) scripts/demo.py

bench: $(STAMP)
	$(PY) bench/run.py

bench-noise: $(STAMP)  # only the replay of the history-noise gates and the ratchet, about a minute
	$(PY) bench/run.py noise

lint: $(STAMP)  # ruff (the rule set in pyproject.toml's [tool.ruff.lint]), mypy on src/mlgate, the workflows
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/zizmor --offline action.yml .github/workflows/
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

clean:
	rm -rf $(VENV) demo-out .bench .pytest_cache
