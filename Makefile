PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA_DIR := $(abspath ../shared/datasets)
export EMBER_DATA_DIR ?= $(if $(wildcard $(DATA_DIR)),$(DATA_DIR),)

.PHONY: demo test lint bench keras-interop clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/mnist_mlp.py

test: $(VENV)/.installed
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m pip install --quiet ruff
	$(VENV)/bin/ruff check ember tests benchmarks examples

bench: $(VENV)/.installed
	$(PY) benchmarks/mlp_step.py

# ember <-> Keras 3 through the .keras format, checked against real Keras (torch backend).
keras-interop: $(VENV)/.installed
	$(PY) -m pip install --quiet keras h5py torch==2.13.0
	KERAS_BACKEND=torch $(PY) -m pytest -q tests/saving/test_keras_interchange.py

clean:
	rm -rf $(VENV) build *.egg-info
