# The two commands: `make demo` runs the main job, `make test` runs every check CI runs.
# Both create .venv when it is missing (or when settings.ini / setup.py / constraints changed).
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# nbdev_test runs one notebook per core in parallel; one torch thread each avoids oversubscribing the
# cores (on a 2-core machine two 2-thread notebooks ran several times slower than two 1-thread ones).
NBTEST := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/nbdev_test --do_print --timing

.PHONY: install demo test test-gpu test-browser test-fast lab labs chapter-times bench proof gpu-wheels gpu-check clean-venv

$(STAMP): setup.py settings.ini constraints-cpu.txt .ci/install-venv
	bash .ci/install-venv $(VENV)
	@touch $@

install: $(STAMP)  ## create .venv and install the package with its dev extras

demo: $(STAMP)  ## the main job: the committed checkpoint reconstructs a sample scene; outputs in outputs/demo/
	$(BIN)/spatialsplat demo

test: $(STAMP)  ## notebooks and package in sync, every notebook runs, then pytest (its summary line ends the output)
	bash .ci/check-sync $(BIN)
	$(NBTEST)
	$(BIN)/pytest tests/

test-gpu: $(STAMP)  ## as `test`, plus the cells and tests marked slow and cuda
	bash .ci/check-sync $(BIN)
	SPATIALSPLAT_RUN_LONG=1 $(NBTEST) --flags "slow cuda"
	$(BIN)/pytest tests/ --run-slow --run-cuda

test-browser: $(STAMP)  ## end to end in headless Chromium: JupyterLab runs the widget chapter, a slider moves, the picture changes; the splat viewer page (fields, PSNR vs render, query counts)
	bash .ci/install-browser
	$(BIN)/pytest tests/test_browser.py tests/test_viewer_browser.py --run-slow -v

lab: $(STAMP)  ## JupyterLab on the chapters
	$(BIN)/jupyter lab nbs/

labs: $(STAMP)  ## student editions of every chapter (solutions -> stubs, hidden tests and outputs removed) in labs/student/, nbgrader source copies in labs/source/ (see LABS.md)
	$(PY) -m spatialsplat.labs --nbs nbs --out labs

chapter-times: $(STAMP)  ## run every chapter top to bottom as JupyterLab's Run All does (defaults: RUN_LONG = False); seconds per chapter in bench/results/chapter_times.json (limit 2 minutes)
	OMP_NUM_THREADS=1 $(PY) bench/chapter_times.py

bench: $(STAMP)  ## benchmark scripts; each prints JSON and writes it under bench/results/ (minutes; `proof` is separate)
	@for b in $(filter-out bench/train_cpu_tiny.py bench/gpu_check.py bench/chapter_times.py,$(wildcard bench/*.py)); do echo "== $$b"; $(PY) $$b || exit 1; done

proof: $(STAMP)  ## the proof that it learns: cpu_tiny (7000 steps, at most 60 minutes), scored on held-out rooms; rewrites the committed checkpoint and bench/results/train_cpu_tiny.json
	$(PY) bench/train_cpu_tiny.py --minutes 60 --extra-rooms 6

gpu-wheels:  ## download the wheels a GPU machine without a package registry needs for gpu-check (into .whl/)
	bash bench/gpu_wheels.sh .whl

gpu-check:  ## on a GPU machine: every CUDA path in one run (gsplat build, cuda tests, Table 6, gsplat vs torch, torchrun training); JSON in outputs/gpu_check/
	bash bench/gpu_check.sh outputs/gpu_check

clean-venv:
	rm -rf $(VENV)
