"""The sidebar: the scenario's settings, kept in the URL's query parameters.

Each widget edits one dotted scenario key (``objective.max_sites``); the
keys that differ from the base scenario are the view's overrides, validated
by :func:`coverage.app.settings.load_view` and written to ``st.query_params``.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from coverage.app.roads import ROAD_FIELDS, road_rules
from coverage.app.settings import (
    LANG_PARAM,
    SHIPPED,
    flatten,
    from_query_params,
    link_overrides,
    linked_uploads,
    load_view,
    overrides_between,
    sandbox_folders,
    to_query_params,
)
from coverage.app.upload import upload_store
from coverage.data.embedded import load_departments
from coverage.data.i18n import LANGUAGES, format_number, get_language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.errors import frame_error
from coverage.data.i18n.names import RULES, model_name, partner_name
from coverage.errors import CoverageError
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import shipped_scenario
from coverage.scenario.schema import Scenario

UPLOADED = "uploaded TOML"  # the choice's value; shown as _("uploaded TOML")
#: Largest scenario file accepted (read as TOML text only; nothing in it is executed).
MAX_TOML_BYTES = 1_000_000
_PREFIX = "w:"


@dataclass(frozen=True)
class View:
    """The settings chosen: base scenario, its file, overrides, and the validated scenario or the error."""

    base: str
    path: Path
    overrides: dict[str, str]
    scenario: Scenario | None
    error: str | None


@st.cache_data
def department_names() -> dict[str, str]:
    departments = load_departments()
    return dict(zip(departments["dep"], departments["name"], strict=True))


def upload_folder() -> Path:
    """The session's own upload folder (created on first use)."""
    return Path(st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="coverage-app-")))


def _sandbox() -> list[Path]:
    """The session's uploads, the server's store of uploaded layers (by hash) and the data folder."""
    return [*sandbox_folders(upload_folder()), Path(upload_store()).resolve()]


def _scenario_name(base: str) -> str:
    return _("uploaded TOML") if base == UPLOADED else base


def _base_path(base: str) -> Path:
    if base == UPLOADED:
        return Path(st.session_state["uploaded_toml"])
    return shipped_scenario(base)


def _reset_widgets() -> None:
    for key in [k for k in st.session_state if str(k).startswith(_PREFIX)]:
        del st.session_state[key]


def _restore_from_url() -> None:
    """On a session's first run, set the widgets from the URL's query parameters."""
    if "restored" in st.session_state:
        return
    st.session_state["restored"] = True
    try:
        base, overrides = from_query_params(st.query_params.to_dict())
        overrides, absent = linked_uploads(overrides, upload_store())
        if "sites.upload.source" not in overrides:  # a layer whose file is absent is left out whole
            overrides = {k: v for k, v in overrides.items() if not k.startswith("sites.upload.")}
        _restore_uploads(overrides)
        if absent:
            st.session_state["url_error"] = _(
                "this link uses uploaded data that is not on this server ({names}); upload it again"
            ).format(names=", ".join(absent))
        if base not in SHIPPED:
            raise CoverageError(
                _("unknown scenario {base!r} in the link; shipped: {names}").format(
                    base=base, names=", ".join(SHIPPED)
                )
            )
        scenario = load_view(shipped_scenario(base), overrides, allowed_folders=_sandbox())
    except (CoverageError, ValueError) as exc:
        st.session_state["url_error"] = str(exc)
        return
    st.session_state["base"] = base
    for key, value in flatten(scenario).items():
        st.session_state[_PREFIX + key] = _widget_value(key, value)


def _restore_uploads(overrides: dict[str, str]) -> None:
    """The uploaded layers a link names go back where the upload tab keeps them."""
    sites = {k: v for k, v in overrides.items() if k.startswith("sites.upload.")}
    if "sites.upload.source" in sites:
        st.session_state["site_layer"] = sites
    if "demand.source" in overrides:
        keys = ("demand.source", "demand.qpv_units", "demand.use_fragility")
        st.session_state["demand_layer"] = {k: overrides[k] for k in keys if k in overrides}


def _widget_value(key: str, value: Any) -> Any:
    if key.startswith("horizon.") and key.split(".")[-1] in ("start", "until") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if key == "territory.departments":
        return [] if value == "all" else list(value)
    if key == "objective.site_costs" and isinstance(value, dict):  # a text input: "id=cost, id=cost"
        return ", ".join(
            f"{site}={cost:g}" if isinstance(cost, float | int) else f"{site}={cost}"
            for site, cost in value.items()
        )
    return value


def _default(key: str, defaults: dict[str, Any], fallback: Any) -> None:
    state_key = _PREFIX + key
    if state_key not in st.session_state:
        st.session_state[state_key] = _widget_value(key, defaults.get(key, fallback))


def _scenario_upload() -> None:
    upload = st.sidebar.file_uploader(_("...or upload a scenario TOML"), type=["toml"], key="toml_upload")
    if upload is None:
        return
    path = upload_folder() / "uploaded-scenario.toml"
    if upload.size > MAX_TOML_BYTES:
        st.sidebar.error(
            _("{name}: {size} bytes, above the {limit} bytes of a scenario").format(
                name=upload.name, size=format_number(upload.size), limit=format_number(MAX_TOML_BYTES)
            )
        )
        return
    if st.session_state.get("uploaded_toml_name") != upload.name:
        path.write_bytes(upload.getvalue())
        st.session_state["uploaded_toml"] = str(path)
        st.session_state["uploaded_toml_name"] = upload.name
        st.session_state["base"] = UPLOADED
        _reset_widgets()


def sidebar(extra: dict[str, str]) -> View:
    """Draw the settings; ``extra`` are overrides from elsewhere (an uploaded site or demand layer)."""
    _restore_from_url()
    # a link's uploaded layers, restored just now, count on this first run too
    extra = {**st.session_state.get("site_layer", {}), **st.session_state.get("demand_layer", {}), **extra}
    sb = st.sidebar
    sb.radio(
        "Langue / Language",
        list(LANGUAGES),
        format_func={"fr": "Français", "en": "English"}.get,
        key="lang",
        horizontal=True,
    )
    sb.header(_("Scenario"))
    if "url_error" in st.session_state:
        sb.warning(
            _("The link's settings were not applied:") + f" {frame_error(st.session_state['url_error'])}"
        )
    _scenario_upload()
    choices = [*SHIPPED, *([UPLOADED] if "uploaded_toml" in st.session_state else [])]
    st.session_state.setdefault("base", "demo")
    base = sb.selectbox(
        _("Scenario"),
        choices,
        key="base",
        on_change=_reset_widgets,
        format_func={c: _scenario_name(c) for c in choices}.get,  # named now, in the session's language
    )
    path = _base_path(base)
    try:
        base_scenario = load_scenario(path, allowed_folders=_sandbox())
    except CoverageError as exc:
        return View(base, path, {}, None, _("The scenario file has problems:") + f"\n\n{exc}")
    defaults = flatten(base_scenario)
    values = _widgets(base_scenario, defaults)
    edits = {key: value for key, value in values.items() if value is not None}
    overrides = {k: _override(v) for k, v in edits.items() if defaults.get(k) != v}
    overrides.update(extra)
    try:
        scenario = load_view(path, overrides, allowed_folders=_sandbox())
    except (CoverageError, ValueError) as exc:
        return View(base, path, overrides, None, str(exc))
    overrides = overrides_between(base_scenario, scenario)
    if base != UPLOADED:
        params = to_query_params(base, link_overrides(overrides, upload_store()))
        if get_language() != "fr":  # French is the default: a link without lang opens in French
            params[LANG_PARAM] = get_language()
        st.query_params.from_dict(params)
    return View(base, path, overrides, scenario, None)


def _override(value: Any) -> str:
    """A widget's value as a ``--set`` value: JSON, but a TOML inline table for a mapping (site costs)."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)} = {json.dumps(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value)


def _costs_text(text: str) -> dict[str, Any]:
    """``"id=cost, id=cost"`` as a mapping; a cost that is not a number is passed on as text to be refused."""
    out: dict[str, Any] = {}
    for part in text.split(","):
        site, _sep, cost = part.partition("=")
        if site.strip():
            value = cost.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
            try:
                out[site.strip()] = float(value)
            except ValueError:
                out[site.strip()] = cost.strip()
    return out


def _site_choices(values: dict[str, Any], defaults: dict[str, Any], base: Scenario) -> None:
    """Sites kept open (existing ones) or shut, by id, and the budget over the sites' costs."""
    sb = st.sidebar
    with sb.expander(_("Existing, forced and closed sites; budget"), expanded=False):
        for field, label in (
            ("forced", _("Sites kept open (ids, comma-separated)")),
            ("closed", _("Sites kept shut (ids, comma-separated)")),
        ):
            key = f"objective.{field}"
            _default(key, defaults, [])
            if isinstance(st.session_state[_PREFIX + key], list):
                st.session_state[_PREFIX + key] = ", ".join(st.session_state[_PREFIX + key])
            text = st.text_input(label, key=_PREFIX + key, help=_("ids as in the Open sites table"))
            ids = [part.strip() for part in text.split(",") if part.strip()]
            values[key] = ids if (ids or key in defaults) else None
        _default("objective.budget", defaults, 0.0)
        budget = float(
            st.number_input(
                _("Budget (0: none; every candidate site needs a cost)"),
                min_value=0.0,
                key=_PREFIX + "objective.budget",
            )
        )
        values["objective.budget"] = budget or None
        for layer, spec in base.sites.items():
            if isinstance(spec.cost, str):
                st.caption(
                    _("Layer {name}: each site's cost from column {column}").format(
                        name=partner_name(layer), column=spec.cost
                    )
                )
                continue
            key = f"sites.{layer}.cost"
            _default(key, defaults, 0.0)
            cost = float(
                st.number_input(
                    _("Cost of one site of layer {name} (0: none)").format(name=partner_name(layer)),
                    min_value=0.0,
                    key=_PREFIX + key,
                )
            )
            values[key] = cost if (cost or key in defaults) else None
        key = "objective.site_costs"
        _default(key, defaults, {})
        text = st.text_input(
            _("Costs of given sites (id=cost, comma-separated)"),
            key=_PREFIX + key,
            help=_("these win over the layer's cost"),
        )
        values[key] = _costs_text(text) or None


def _widgets(base: Scenario, defaults: dict[str, Any]) -> dict[str, Any]:
    sb = st.sidebar
    values: dict[str, Any] = {}
    names = department_names()
    _default("territory.departments", defaults, "all")
    picked = sb.multiselect(
        _("Departments (none: all of France)"),
        sorted(names),
        format_func=lambda code: f"{code} {names[code]}",
        key=_PREFIX + "territory.departments",
    )
    values["territory.departments"] = list(picked) or "all"

    for partner in base.partners:
        with sb.expander(_("Partner {name}").format(name=partner_name(partner)), expanded=False):
            for field, label in (("advisors", _("Advisors")), ("slots_per_advisor", _("Slots per advisor"))):
                key = f"partners.{partner}.{field}"
                _default(key, defaults, 1)
                least = 0 if field == "advisors" else 1
                values[key] = int(st.number_input(label, min_value=least, step=1, key=_PREFIX + key))
            key = f"sharing.{partner}"
            _default(key, defaults, [])
            others = sorted({*base.partners, *(layer.partner for layer in base.sites.values())} - {partner})
            shared = st.multiselect(
                _("Shares premises of"),
                others,
                format_func={o: partner_name(o) for o in others}.get,
                key=_PREFIX + key,
            )
            values[key] = list(shared) if (shared or key in defaults) else None

    sb.subheader(_("Access"))
    _default("access.rule", defaults, "zone_radius")
    rules = ["zone_radius", "radius", "travel_time", *road_rules(defaults)]
    rule = sb.radio(
        _("Access rule"),
        rules,
        format_func={r: _(RULES.get(r, r)) for r in rules}.get,
        key=_PREFIX + "access.rule",
        horizontal=True,
    )
    values["access.rule"] = rule
    fields = {
        "zone_radius": [
            ("qpv", _("QPV radius (m)"), 1000.0),
            ("urban", _("Urban radius (m)"), 5000.0),
            ("rural", _("Rural radius (m)"), 15000.0),
        ],
        "radius": [("metres", _("Radius (m)"), 10000.0)],
        "travel_time": [
            ("max_minutes", _("Max travel time (min)"), 20.0),
            ("detour", _("Detour factor"), 1.3),
        ],
        **ROAD_FIELDS,
    }[rule]
    for field, label, fallback in fields:
        key = f"access.{field}"
        _default(key, defaults if defaults.get("access.rule") == rule else {}, fallback)
        values[key] = float(sb.number_input(label, min_value=0.0, key=_PREFIX + key))

    sb.subheader(_("Objective"))
    _default("objective.model", defaults, "maximal_coverage")
    models = ["maximal_coverage", "staffing", "set_cover", "p_median", "p_center"]
    model = sb.selectbox(
        _("Model"),
        models,
        format_func={m: model_name(m) for m in models}.get,
        key=_PREFIX + "objective.model",
    )
    values["objective.model"] = model
    if model == "maximal_coverage":
        _default("objective.max_sites", defaults, 10)
        top = max(200, 2 * int(st.session_state[_PREFIX + "objective.max_sites"]))
        values["objective.max_sites"] = int(
            sb.slider(_("Sites to open"), 1, top, key=_PREFIX + "objective.max_sites")
        )
    if model in ("p_median", "p_center"):
        _default("objective.p", defaults, 10)
        top = max(200, 2 * int(st.session_state[_PREFIX + "objective.p"]))
        values["objective.p"] = int(sb.slider(_("Sites to open (p)"), 1, top, key=_PREFIX + "objective.p"))
    if model in ("set_cover", "staffing"):
        _default("objective.target", defaults, 0.0)
        target = float(
            sb.number_input(_("Need to reach (0: none)"), min_value=0.0, key=_PREFIX + "objective.target")
        )
        values["objective.target"] = target or None
    for field, label in (
        ("min_sites", _("Min sites per department")),
        ("min_advisors", _("Min advisors per department")),
    ):
        key = f"rules.{field}"
        _default(key, defaults, 0)
        number = sb.number_input(label, min_value=0, step=1, key=_PREFIX + key)
        values[key] = int(number) if number or key in defaults else None
    _default("rules.min_share", defaults, 0.0)
    share = sb.number_input(
        _("Min share of need served per department"),
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key=_PREFIX + "rules.min_share",
    )
    values["rules.min_share"] = float(share) if share or "rules.min_share" in defaults else None
    _site_choices(values, defaults, base)
    _default("rules.maximise_min_share", defaults, False)
    values["rules.maximise_min_share"] = bool(
        sb.checkbox(_("Maximise the worst department's share"), key=_PREFIX + "rules.maximise_min_share")
    )

    sb.subheader(_("Horizon"))
    for field, label in (("start", _("Start")), ("until", _("Until"))):
        key = f"horizon.{field}"
        _default(key, defaults, "2022-01-01")
        values[key] = sb.date_input(label, key=_PREFIX + key, format=_("YYYY/MM/DD")).isoformat()
    _default("horizon.target", defaults, 0.0)
    target = float(
        sb.number_input(
            _("Target: people by the horizon (0: none)"), min_value=0.0, key=_PREFIX + "horizon.target"
        )
    )
    values["horizon.target"] = target or None
    _default("solver.time_limit", defaults, 60.0)
    values["solver.time_limit"] = float(
        sb.number_input(_("Solver time limit (s)"), min_value=1.0, key=_PREFIX + "solver.time_limit")
    )
    return values
