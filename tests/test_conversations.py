"""Rasa test stories (tests/stories/*.yml) against the trained model: NLU + dialogue policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
STORY_FILES = sorted((PROJECT_ROOT / "tests" / "stories").glob("*.yml"))


@pytest.mark.parametrize("stories", STORY_FILES, ids=lambda p: p.stem)
def test_story_file_passes(stories: Path, trained_model: Path, tmp_path: Path) -> None:
    rasa = str(Path(sys.executable).parent / "rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run(
        [rasa, "test", "core", "--model", str(trained_model), "--stories", str(stories),
         "--out", str(tmp_path), "--no-plot"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = tmp_path / "failed_test_stories.yml"
    report = json.loads((tmp_path / "story_report.json").read_text()) if (
        tmp_path / "story_report.json").exists() else {}
    failures = failed.read_text() if failed.exists() else ""
    assert "story:" not in failures, f"failed stories:\n{failures}\n{report.get('weighted avg')}"
