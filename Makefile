# The ASEAN assistant for Cà Mau. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
RASA := $(VENV)/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help install system-deps services train run test test-fast test-scale eval eval-understanding bench lint format validate demo clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: constraints.txt requirements.txt requirements-rasa.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install "pip>=23,<25"
	$(PIP) install -c constraints.txt -r requirements.txt -r requirements-dev.txt
	# rasa 3.6 declares Python <3.11 but runs on 3.11; its dependencies came from the constraints.
	$(PIP) install --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(PIP) install --no-deps -e .
	touch $@

install: $(VENV)/.installed ## Create .venv and install everything (only when requirements change)

system-deps: ## Debian packages the tests use (headless Chromium, nginx)
	@command -v chromium >/dev/null && command -v nginx >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx-light >/dev/null; }

services: ## Start PostgreSQL and Redis if this machine has them but they are down
	@bin/ensure-services

train: install ## Train the Rasa model (skipped when data and config are unchanged)
	$(PY) -c "from bot.training import train_model; print(train_model())"

run: install train ## Run the bot: action server, Rasa (REST + socket.io) and web page, on SQLite
	$(PY) -m bot.run

test: install system-deps services ## Run the whole test suite (trains once if needed)
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: install ## Tests that need no trained model, browser or servers
	$(PY) -m pytest -q -p no:cacheprovider -m "not stack and not browser and not slow"

test-scale: install system-deps services train ## Scale-out: nginx, 2 Rasa servers on PostgreSQL + Redis, one killed
	$(PY) -m pytest -q -p no:cacheprovider tests/scale

validate: install ## Check the Rasa domain and training data for mistakes
	$(RASA) data validate --config config.yml --domain domain --data data/nlu data/rules.yml data/stories.yml data/rules data/stories

eval: install ## Held-out figures: NLU (ours vs Rasa's stock pipeline) and knowledge retrieval
	$(PY) -m bot.evaluate
	$(MAKE) eval-understanding

eval-understanding: install train ## Held-out understanding questions through REST, per style
	$(PY) -m tools.eval_understanding

tune: install ## Re-tune knowledge confidence bands on the dev set (never the eval set)
	$(PY) -m bot.knowledge.evaluate --tune

bench: install train ## Throughput, latency and memory against the stock-pipeline baseline
	$(PY) -m bot.bench

demo: install train ## Run the bot on a separate demo database with ~30 sample events
	$(PY) -m bot.run --demo

admin-user: install ## Create the first staff admin: make admin-user NAME=an (asks the password)
	@test -n "$(NAME)" || { echo "usage: make admin-user NAME=<login>"; exit 2; }
	$(PY) -m bot create-user $(NAME) --role admin

reminders: install ## Send due event reminders (run from cron, e.g. every 10 minutes)
	$(PY) -m bot send-reminders

lint: install ## ruff lint
	$(VENV)/bin/ruff check bot actions tests

format: install ## ruff format
	$(VENV)/bin/ruff format bot actions tests

clean: ## Remove trained models and local databases (keeps .venv)
	rm -rf models/*.tar.gz var/ .rasa/
