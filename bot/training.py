"""Training entry points shared by `make train`, the tests, the evaluation and the benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot import config

RASA = str(Path(sys.executable).parent / "rasa")
RASA_DATA = ["data/nlu", "data/rules.yml", "data/stories.yml", "data/rules", "data/stories"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def train_model(out: Path = config.PROJECT_ROOT / "models") -> Path:
    """Train (or reuse, when data and config are unchanged) the full model; returns its path."""
    data = [d for d in RASA_DATA if (config.PROJECT_ROOT / d).exists()]
    subprocess.run(
        [RASA, "train", "--config", "config.yml", "--domain", "domain", "--data", *data,
         "--out", str(out), "--quiet"],
        cwd=config.PROJECT_ROOT, env=_env(), check=True,
    )
    models = sorted(out.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1]


def train_nlu(config_file: Path, out: Path, nlu: str = "data/nlu", name: str | None = None) -> Path:
    """Train an NLU-only model with ``config_file`` (used to compare pipelines on held-out data)."""
    args = [RASA, "train", "nlu", "--config", str(config_file), "--nlu", nlu, "--out", str(out),
            "--quiet"]
    if name:
        args += ["--fixed-model-name", name]
    subprocess.run(args, cwd=config.PROJECT_ROOT, env=_env(), check=True)
    models = sorted(out.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1]
