"""Extract every translatable text of the package into the French catalogue, keeping its translations.

    python scripts/update_catalogue.py          # writes coverage/data/i18n/locales/fr/LC_MESSAGES/coverage.po
    python scripts/update_catalogue.py --check  # exit 1 when a text has no translation

Texts are the ``_("...")``, ``gettext_("...")`` and ``N_("...")`` (templates translated
where shown) literals of ``src/coverage``
(extracted by Babel) and the display names of :mod:`coverage.data.i18n.names`
and other tables of identifiers (statuses, phases, encodings, reasons).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "coverage"
PO = PACKAGE / "data" / "i18n" / "locales" / "fr" / "LC_MESSAGES" / "coverage.po"


def identifiers() -> list[str]:
    """English texts that come from tables of identifiers, not from literals."""
    sys.path.insert(0, str(ROOT / "src"))
    from coverage.app.upload import ENCODINGS
    from coverage.data.i18n.names import COLUMNS, MODELS, PARTNERS, RULES, STATUSES, ZONES

    texts = [*PARTNERS.values(), *MODELS.values(), *RULES.values(), *ZONES.values(), *COLUMNS.values()]
    texts += [*STATUSES.values(), *ENCODINGS]
    texts += ["load", "demand", "sites", "shortlist", "reach", "solve", "plan"]  # ScenarioRun.timings
    texts += ["candidate sites within reach, none opened", "no candidate site within reach"]  # reasons
    texts += ["difference", "pinned", "current", "(none)", "uploaded TOML", "n/a"]
    return texts


def extracted() -> list[str]:
    keywords = {"_": None, "gettext_": None, "N_": None}
    found = [
        message
        for _, _, message, _, _ in extract_from_dir(
            PACKAGE, keywords=keywords, method_map=[("**.py", "python")]
        )
    ]
    return [m for m in found if isinstance(m, str)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report untranslated texts, write nothing")
    args = parser.parse_args()
    old = read_po(PO.open("rb")) if PO.is_file() else Catalog(locale="fr")
    catalog = Catalog(locale="fr_FR", project="coverage-planning", domain="coverage")
    missing = []
    for message in dict.fromkeys([*extracted(), *identifiers()]):
        previous = old.get(message)
        translation = previous.string if previous is not None else ""
        if not translation:
            missing.append(message)
        catalog.add(message, translation)
    if args.check:
        for message in missing:
            print(f"untranslated: {message!r}")
        return 1 if missing else 0
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False)
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} texts, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
