# Needs only python3 and make: everything else is installed into .tools/ and .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
BIN := .venv/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Compiled once at install, so every server process the tests start boots fast.
export UV_COMPILE_BYTECODE := 1
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install browser speech-tools lint pytest e2e bench bench-slice bench-speech bench-speech-slice clean

run: install  ## migrate, load demo data and serve on http://127.0.0.1:8000
	$(BIN)/lyceum migrate --no-input -v0
	$(BIN)/lyceum createcachetable
	$(BIN)/lyceum demo
	$(BIN)/lyceum serve --host $(HOST) --port $(PORT)

test: install browser speech-tools lint pytest  ## the whole suite: lint, types, then every test

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --quiet

# Browser tests drive Debian's Chromium; install it when missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else echo "Browser tests need Chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

# The speech tutor spells unknown words with espeak-ng, and its tests read aloud with it;
# the benchmark also uses flite and festival voices. Installed when missing and we may.
SPEECH_PACKAGES := espeak-ng flite festival festvox-kallpc16k festvox-us-slt-hts festvox-kdlpc16k sox
speech-tools:
	@if ! command -v espeak-ng >/dev/null || ! command -v flite >/dev/null || ! command -v text2wave >/dev/null || ! command -v sox >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SPEECH_PACKAGES) >/dev/null); \
	  else echo "The speech tutor needs: sudo apt-get install $(SPEECH_PACKAGES)" >&2; exit 1; fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lyceum makemigrations --check --dry-run
	$(BIN)/lyceum privacy check

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

e2e: install browser
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

bench: install  ## HTTP pages; the privacy engine at 10,000 and 100,000 people; learning pages at 5,000 and 50,000 enrolments (see bench/README.md)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.privacy
	$(BIN)/python -m bench.learning

# A small slice of the privacy benchmark, run by CI: it fails if export, erasure or the
# retention sweep leave anything behind at scale, and prints the ratios to raw SQL.
bench-slice: install
	$(BIN)/python -m bench.privacy --users 2000 --sample 10 --sweep-rows 20000
	$(BIN)/python -m bench.learning --sizes 300,1500 --requests 10

# The speech tutor's accuracy and cost on a synthesised test set (see bench/speech/README.md).
bench-speech: install speech-tools  ## ~2 min to build the recordings, ~25 min to score them
	$(BIN)/python -m bench.speech.generate
	$(BIN)/python -m bench.speech
	$(BIN)/python -m bench.speech.responsiveness

# Its CI slice: three voices, clean audio; fails when accuracy falls below the floors.
bench-speech-slice: install speech-tools
	$(BIN)/python -m bench.speech.generate --voices flite-slt,festival-kal,espeak-us --conditions clean
	$(BIN)/python -m bench.speech --slice

clean:
	rm -rf .venv .tools var
