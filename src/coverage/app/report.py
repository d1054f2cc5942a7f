"""The committee report: one HTML file a planner can send as is (French by default).

It holds the plan's key figures, the map as a picture
(:func:`coverage.plan.map_image.map_image`, a PNG inside the file: it prints)
and as the interactive map (inline, with Leaflet inside the file: it opens
offline; left out when printed), the tables by department and by partner, the
scenario's assumptions, the binding constraints when the summary lists them
(``summary.json``'s ``"binding"`` record, in the report's language) and the
solve's status and gap.

:func:`committee_report` writes it from plain data; :func:`report_from_run`
from a run folder (``coverage-plan report RUN_DIR``), and the app's Export
tab from the plan in memory. No Streamlit here.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.app.assets import LEAFLET
from coverage.data.i18n import format_date, format_km, format_number, format_percent, get_language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.names import STATUSES, display_table, model_name

__all__ = ["committee_report", "offline_map", "report_from_run"]

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f2f2f2;text-align:left} td.n{text-align:right}
.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:180px}
.kpi b{display:block;font-size:1.4em} iframe{width:100%;height:560px;border:1px solid #ccc}
img.map{max-width:100%;border:1px solid #ccc} @media print{iframe,.interactive{display:none}}
"""


def offline_map(page: str) -> str:
    """A saved folium map page with Leaflet inline and every other CDN script or style sheet left out.

    Examples
    --------
    >>> page = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
    >>> page += '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    >>> out = offline_map(page)
    >>> "https://" in out, out.count("data:text/javascript;base64,")
    (False, 1)
    """

    def inline(path: Path, mime: str) -> str:
        return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"

    js = f'<script src="{inline(LEAFLET["js"], "text/javascript")}"></script>'
    css = f'<link rel="stylesheet" href="{inline(LEAFLET["css"], "text/css")}"/>'
    out = re.sub(r'<script src="https?://[^"]*/leaflet(?:\.min)?\.js"></script>', lambda _m: js, page)
    out = re.sub(
        r'<link rel="stylesheet" href="https?://[^"]*/leaflet(?:\.min)?\.css"\s*/>', lambda _m: css, out
    )
    out = re.sub(r'<script src="https?://[^"]*"></script>', "", out)
    return re.sub(r'<link rel="stylesheet" href="https?://[^"]*"\s*/>', "", out)


def _cell(value: object) -> tuple[str, bool]:
    if isinstance(value, bool):
        return (_("yes") if value else _("no")), False
    if isinstance(value, int | float) and not pd.isna(value):
        return format_number(float(value), 0 if float(value).is_integer() or abs(value) >= 100 else 2), True
    return ("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)), False


def _table(frame: pd.DataFrame) -> str:
    shown = display_table(frame)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for row in shown.itertuples(index=False):
        cells = [_cell(v) for v in row]
        rows.append("".join(f"<td{' class=n' if n else ''}>{html.escape(t)}</td>" for t, n in cells))
    return f"<table><tr>{head}</tr>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _assumptions(scenario_toml: str) -> str:
    try:
        scenario = tomllib.loads(scenario_toml)
    except tomllib.TOMLDecodeError:
        return f"<pre>{html.escape(scenario_toml)}</pre>"
    rows = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            rows.append(
                f"<tr><td><code>{html.escape(prefix)}</code></td><td>{html.escape(str(value))}</td></tr>"
            )

    walk("", {k: v for k, v in scenario.items() if k not in ("name", "description")})
    setting, value = _("Setting"), _("Value")
    return f"<table><tr><th>{setting}</th><th>{value}</th></tr>{''.join(rows)}</table>"


def _binding(binding: object) -> str:
    """What binds: a ``summary.json`` ``"binding"`` record (groups and marginal values) or a list of lines."""
    from coverage.data.i18n.errors import translate_text
    from coverage.plan.analysis import Marginal

    if not isinstance(binding, dict):
        items = binding if isinstance(binding, list) else [binding]
        return "<ul>" + "".join(f"<li>{html.escape(translate_text(str(i)))}</li>" for i in items) + "</ul>"
    groups = [g for g in binding.get("binding", []) if isinstance(g, dict)]
    head = "".join(
        f"<th>{html.escape(_(t))}</th>"
        for t in ("constraint", "applies to", "use against its limit", "tight")
    )
    rows = [
        "<tr>"
        + "".join(
            f"<td>{html.escape(text)}</td>"
            for text in (
                _(str(g.get("group", ""))),
                translate_text(str(g.get("subject", ""))),
                translate_text(str(g.get("detail", ""))),
                _("yes") if g.get("tight") else "",
            )
        )
        + "</tr>"
        for g in groups
    ]
    out = f"<table><tr>{head}</tr>{''.join(rows)}</table>" if rows else ""
    fields = set(Marginal.__dataclass_fields__)
    lines = [
        Marginal(**{k: v for k, v in m.items() if k in fields}).line() for m in binding.get("marginal", [])
    ]
    if lines:
        out += f"<h3>{html.escape(_('What one more buys'))}</h3><ul>"
        out += "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
    return out


def committee_report(
    *,
    name: str,
    summary: Mapping[str, Any],
    departments: pd.DataFrame | None,
    partners: pd.DataFrame | None,
    scenario_toml: str,
    map_page: str | None = None,
    made: dt.date | None = None,
    map_png: bytes | None = None,
) -> str:
    """The report's HTML page, in the language in use.

    Parameters
    ----------
    name
        The scenario's name (the title).
    summary
        ``Plan.summary()`` (or ``summary.json``'s ``"summary"``); a ``"binding"``
        entry (a list of texts) is shown as the binding constraints.
    departments, partners
        ``Plan.kpis("department")`` and ``Plan.kpis("partner")``.
    scenario_toml
        The scenario as the lock file writes it: its settings are the assumptions.
    map_page
        The map as a standalone HTML page, put inline (see :func:`offline_map`).
    made
        The report's date (today when None).
    map_png
        The map as a still picture (:func:`coverage.plan.map_image.map_image`), inline: it prints.

    Examples
    --------
    >>> from coverage.app.session import resolve
    >>> from coverage.data.i18n import language
    >>> from coverage.scenario.loading import dump_scenario, load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> run = resolve(load_scenario(shipped_scenario("demo")))
    >>> with language("fr"):
    ...     page = committee_report(
    ...         name="demo", summary=run.plan.summary(), departments=run.plan.kpis("department"),
    ...         partners=run.plan.kpis("partner"), scenario_toml=dump_scenario(run.scenario),
    ...     )
    >>> "Lieux ouverts" in page, "Besoin servi" in page, "Couverture maximale" in page
    (True, True, True)
    """
    gap = summary.get("gap")
    status = str(summary.get("status", ""))
    gap_text = "" if gap is None else _("gap {gap}").format(gap=format_percent(gap, 2))
    cards = [
        (
            _("People in need within reach"),
            f"{format_number(summary.get('reached_need'))} / {format_number(summary.get('total_need'))}",
        ),
        (_("Share of need served"), format_percent(summary.get("served_share"))),
        (_("Open sites"), format_number(summary.get("open_sites"))),
        (_("Shared sites"), format_number(summary.get("shared_sites"))),
        (_("Mean distance"), format_km(summary.get("mean_distance"))),
        (_("Worst distance"), format_km(summary.get("worst_distance"))),
        (_("Solve status"), _(STATUSES.get(status, status)) + ("" if gap is None else f" — {gap_text}")),
    ]
    title = html.escape(_("Coverage plan: {name}").format(name=name))

    def heading(text: str) -> str:
        return f"<h2>{html.escape(text)}</h2>"

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{get_language()}"><head><meta charset="utf-8">',
        f"<title>{title}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        "<p>"
        + html.escape(
            _("Model: {model}; report of {date}.").format(
                model=model_name(str(summary.get("model", ""))), date=format_date(made or dt.date.today())
            )
        )
        + "</p>",
        '<div class="kpis">'
        + "".join(f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in cards)
        + "</div>",
    ]
    if map_png:
        image = base64.b64encode(map_png).decode("ascii")
        parts += [
            heading(_("Map")),
            f'<img class="map" alt="{html.escape(_("Map"))}" src="data:image/png;base64,{image}">',
        ]
    if map_page:
        parts += [
            f'<h2 class="interactive">{html.escape(_("Interactive map"))}</h2>',
            f'<iframe srcdoc="{html.escape(offline_map(map_page))}"></iframe>',
        ]
    binding = summary.get("binding")
    if binding:
        parts += [heading(_("What binds")), _binding(binding)]
    if departments is not None and len(departments):
        parts += [heading(_("By department")), _table(departments)]
    if partners is not None and len(partners):
        parts += [heading(_("By partner")), _table(partners)]
    parts += [heading(_("Assumptions of the scenario")), _assumptions(scenario_toml)]
    parts += ["</body></html>"]
    return "\n".join(parts)


def report_from_run(folder: str | Path) -> str:
    """The report of a run folder written by ``coverage-plan run`` (``summary.json``, CSV tables, lock file).

    Raises
    ------
    MissingDataError
        The folder has no ``summary.json``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coverage.cli.main import main
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> main(["run", "demo", "--out", str(folder), "--no-map"]) # doctest: +ELLIPSIS
    figure ...
    0
    >>> page = report_from_run(folder)
    >>> page.startswith("<!DOCTYPE html>"), "demo" in page
    (True, True)
    """
    from coverage.errors import MissingDataError

    folder = Path(folder)
    summary_file = folder / "summary.json"
    if not summary_file.is_file():
        raise MissingDataError(f"{folder}: no summary.json; give a folder written by 'coverage-plan run'")
    import json

    document = json.loads(summary_file.read_text(encoding="utf-8"))
    summary = dict(document.get("summary", {}))
    if "binding" in document and "binding" not in summary:
        summary["binding"] = document["binding"]

    def table(name: str) -> pd.DataFrame | None:
        path = folder / name
        return pd.read_csv(path, dtype={"dep": str}) if path.is_file() else None

    lock = folder / "scenario.lock.toml"
    page = folder / "map.html"
    departments = table("kpis_department.csv")
    picture = None
    if (folder / "plan.gpkg").is_file():
        import geopandas as gpd

        from coverage.plan.map_image import map_image

        units = gpd.read_file(folder / "plan.gpkg", layer="units")
        sites = gpd.read_file(folder / "plan.gpkg", layer="sites")
        picture = map_image(units, sites, departments)
    return committee_report(
        name=str(document.get("scenario", {}).get("name", folder.name))
        if isinstance(document.get("scenario"), dict)
        else str(document.get("scenario", folder.name)),
        summary=summary,
        departments=departments,
        partners=table("kpis_partner.csv"),
        scenario_toml=lock.read_text(encoding="utf-8") if lock.is_file() else "",
        map_page=page.read_text(encoding="utf-8") if page.is_file() else None,
        map_png=picture,
    )
