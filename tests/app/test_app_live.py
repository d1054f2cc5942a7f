"""The app's live solve under AppTest (issue 12, item 5): a stop asked for gives the plan found so
far, labelled stopped with its gap, in English and in French."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app extra is not installed")
from streamlit.testing.v1 import AppTest  # noqa: E402
from test_app_browser_stop import _layers  # noqa: E402

from coverage.app import PAGE  # noqa: E402


@pytest.fixture
def long_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the app's upload store
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    at = AppTest.from_file(str(PAGE), default_timeout=300)
    for key, value in _layers(tmp_path).items():
        at.query_params[key] = value
    return at


@pytest.mark.parametrize(
    ("lang", "stopped", "note"),
    [
        ("en", "stopped by the planner", "You stopped the solver at this plan: gap "),
        ("fr", "arrêté par le planificateur", "Vous avez arrêté le solveur à ce plan : écart de "),
    ],
)
def test_a_stopped_solve_shows_the_plan_found_so_far_labelled(long_app: AppTest, lang, stopped, note):
    long_app.query_params["lang"] = lang
    # the state a click on "Stop at the current plan" leaves for the rerun it starts
    long_app.session_state["stop_solve"] = True
    long_app.run()
    assert not long_app.exception, long_app.exception
    status = {m.label: m for m in long_app.metric}
    label = "Solve status" if lang == "en" else "Statut de la résolution"
    assert status[label].value == stopped
    assert "%" in status[label].delta
    assert any(info.value.startswith(note) for info in long_app.info), [i.value for i in long_app.info]
    stopping = "Stopping at the current plan..." if lang == "en" else "Arrêt au plan actuel…"
    assert stopping in [caption.value for caption in long_app.caption]
    assert any(stopped in caption.value for caption in long_app.caption)  # the Numbers tab's solver line
    again = "Solve again without stopping" if lang == "en" else "Résoudre à nouveau sans arrêt"
    assert again in [button.label for button in long_app.button]
