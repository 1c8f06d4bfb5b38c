# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PORT   ?= 5000
# pytest-xdist workers for `make test` (auto: one per CPU core); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

.PHONY: install run test lint format catalogs extract migrate demo images drill bench serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

catalogs: install
	$(BIN)/pybabel compile --use-fuzzy --statistics -d translations 2>&1 | grep -v '^$$' || true
	$(BIN)/pybabel compile -d translations >/dev/null

# Refresh messages.pot from the code and merge it into every catalog.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project qingyuan-port -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

migrate: install
	mkdir -p instance
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) load-demo

# The pictures' WebP and JPEG variants and share previews (instance/build; kept until a source changes).
images: install
	$(FLASK) build-images

# The job queue's consumer (with the scheduler) runs beside the development server, as worker and
# scheduler do beside gunicorn in production: mail and imports take the same path as there.
run: catalogs demo images
	export PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}; \
	$(FLASK) worker --workers 2 --periodic & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 143' TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# ruff, then the import contracts of pyproject.toml: layers point one way.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# worksteal: a worker that runs out takes tests queued for another, so one slow fuzz drill late in
# a queue does not leave the other cores idle. (loadgroup would do nothing: pytest-xdist 3.8 marks
# the groups in a way pytest 9 no longer reads.)
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): each
# worker otherwise rewrote every test module's asserts and each `flask` or gunicorn process the
# tests start compiled the app anew (collecting took 19 s a worker, 10 s with bytecode kept).
test: catalogs lint
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# The fuzz drills alone, deep: 500 cases a form (make test runs 60, different ones each run).
drill: catalogs
	FUZZ_CASES=$(or $(FUZZ_CASES),500) env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal tests/drills

bench: catalogs
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
