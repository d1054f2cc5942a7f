"""The whole app in French (the default) and in English: every visible label comes from the catalogue.

Under AppTest, every tab's labels, headers, cards, buttons, options and
table headers are listed; each must be a text of the catalogue in that
language (templates with ``{...}`` fields match their filled forms), and
none may show an internal identifier (``zone_radius``, ``need_served``).
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app extra is not installed (pip install -e '.[app]')")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coverage.app import PAGE  # noqa: E402
from coverage.data.i18n import catalogue, language  # noqa: E402

PO = Path(__file__).resolve().parents[2] / "src/coverage/data/i18n/locales/fr/LC_MESSAGES/coverage.po"
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
#: Texts shown as they are in both languages: the switch itself and scenario names (file names).
AS_IS = {"Langue / Language", "Français", "English", "demo", "laposte-2021", "national-4000"}


def _msgids() -> list[str]:
    from babel.messages.pofile import read_po

    with PO.open("rb") as handle:
        return [m.id for m in read_po(handle) if m.id and isinstance(m.id, str)]


def _patterns(lang: str) -> tuple[set[str], list[re.Pattern[str]]]:
    """The catalogue's texts in ``lang``: plain ones, and templates as patterns (one group a field)."""
    texts = [catalogue(lang).gettext(m) for m in _msgids()]
    plain = {t for t in texts if "{" not in t}
    templates = []
    for text in texts:
        if "{" in text:
            parts = re.split(r"\{[^}]*\}", text)
            for field in ("(.+?)", "(.+)"):  # lazy and greedy: a field's text may hold the separator
                templates.append(re.compile("^" + field.join(re.escape(p) for p in parts) + "$", re.DOTALL))
    return plain, templates


#: What a template's field may hold besides a text of the catalogue: numbers, dates, codes.
VALUE = re.compile(r"^[\d\s.,%/+\-\u202f\xa0:]+$")


def _translated(text: str, plain: set[str], templates: list[re.Pattern[str]]) -> bool:
    if text in plain:
        return True
    for pattern in templates:
        match = pattern.match(text)
        if match and all(g in plain or VALUE.match(g) for g in match.groups()):
            return True
    return False


def _visible(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) of every label a planner reads."""
    for tab in at.tabs:
        yield "tab", tab.label
    for kind in ("title", "header", "subheader"):
        for element in getattr(at, kind):
            yield kind, element.value
    for metric in at.metric:
        yield "metric", metric.label
    for kind in ("button", "slider", "number_input", "checkbox", "date_input", "text_input", "toggle"):
        for widget in getattr(at, kind):
            yield kind, widget.label
    for kind in ("selectbox", "multiselect", "radio"):
        for widget in getattr(at, kind):
            yield kind, widget.label
            for option in widget.options:
                yield f"{kind} option", option
    for expander in at.expander:
        yield "expander", expander.label
    for frame in at.dataframe:
        for column in frame.value.columns:
            yield "table header", str(column)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    return AppTest.from_file(str(PAGE), default_timeout=60)


def _untranslated(at: AppTest, lang: str) -> list[str]:
    plain, templates = _patterns(lang)
    departments = re.compile(r"^\d[0-9AB]\d? [A-ZÉÎ].*$")  # "23 Creuse": a code and a proper name
    bad = []
    for where, text in _visible(at):
        shown = text.strip()
        if not shown or shown in AS_IS or departments.match(shown):
            continue
        if IDENTIFIER.search(shown) or not _translated(shown, plain, templates):
            bad.append(f"{where}: {shown!r}")
    return sorted(set(bad))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_visible_label_is_in_the_catalogue(app: AppTest, lang: str) -> None:
    if lang == "en":
        app.query_params["lang"] = "en"
    app.run()
    assert not app.exception
    # pin, then change a setting: the comparison's headers show too
    pin = next(b for b in app.button if b.label == catalogue(lang).gettext("Pin this plan"))
    pin.click().run()
    app.sidebar.slider(key="w:objective.max_sites").set_value(14).run()
    assert not app.exception
    assert _untranslated(app, lang) == []
    for element in app.markdown:  # no identifier in running text either
        assert not IDENTIFIER.search(element.value.replace("COVERAGE_DATA_DIR", "")), element.value


def test_french_is_the_default_with_french_numbers(app: AppTest) -> None:
    app.run()
    cards = {m.label: m.value for m in app.metric}
    assert cards["Lieux ouverts"] == "12"
    reached, total = cards["Personnes en besoin à portée"].split(" / ")
    assert "\u202f" in total and "," not in total  # 79 689, not 79,689
    assert cards["Distance moyenne"].endswith("\xa0km") and "," in cards["Distance moyenne"]
    assert cards["Statut de la résolution"] == "optimal"
    assert "lang" not in app.query_params  # French needs no parameter


def test_the_english_switch_is_kept_in_the_url(app: AppTest) -> None:
    app.run()
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert "Open sites" in {m.label for m in app.metric}
    assert app.query_params["lang"] == "en"


def test_the_catalogue_translates_every_text_of_the_package() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "update_catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with language("fr"):
        assert catalogue("fr").gettext("Sites to open") == "Lieux à ouvrir"
