"""The "Your data" tab: upload a site or demand layer, map its columns, read it through the library."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import streamlit as st

from coverage.app.upload import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    ColumnMapping,
    columns_of,
    detect_encoding,
    read_demand_upload,
    read_sites_upload,
    save_demand_layer,
    save_upload,
    store_layer,
    upload_store,
)
from coverage.data.i18n import format_number
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.errors import frame_error
from coverage.errors import CoverageError

_NONE = "(none)"


def _folder() -> Path:
    from coverage.app.sidebar import upload_folder

    return upload_folder()


def _pick(label: str, columns: list[str], guess: tuple[str, ...], *, optional: bool, key: str) -> str | None:
    """A column chosen by the planner, preset only when a column's name matches ``guess``.

    A required column no name matches is left unset: the planner is asked,
    never given the first column (longitude and latitude defaulted to it).
    """
    options = ([_NONE] if optional else []) + columns
    lowered = [c.lower() for c in options]
    index = next((lowered.index(g) for g in guess if g in lowered), 0 if optional else None)
    chosen = st.selectbox(
        label,
        options,
        index=index,
        key=key,
        placeholder=_("Choose a column"),
        format_func={o: _(o) if o == _NONE else o for o in options}.get,
    )
    return None if chosen in (_NONE, None) else chosen


def uploads_tab() -> None:
    """Draw the tab; a layer read without problems goes to the session's scenario overrides.

    Sites to ``site_layer`` (a site layer ``upload``), demand to ``demand_layer``
    (``demand.source``: the solve uses these units instead of the built demand)
    and ``demand`` (drawn on the map).
    """
    st.write(
        _(
            "Upload candidate sites or demand units: {suffixes} (a .zip holds a shapefile), "
            "at most {size} MB. Files are only read as data. An uploaded demand layer "
            "replaces the demand built from the communes in the solve."
        ).format(suffixes=", ".join(UPLOAD_SUFFIXES), size=MAX_UPLOAD_BYTES // 2**20)
    )
    if "upload_message" in st.session_state:
        st.success(st.session_state["upload_message"])
    if "demand_layer" in st.session_state and st.button(
        _("Remove the uploaded demand (back to the built demand)"), key="remove_demand"
    ):
        for name in ("demand_layer", "demand", "upload_message"):
            st.session_state.pop(name, None)
        st.rerun()
    kinds = {"sites": _("candidate sites"), "demand": _("demand units")}  # named now, in this run's language
    kind = st.radio(_("Layer"), list(kinds), format_func=kinds.get, horizontal=True, key="upload_kind")
    upload = st.file_uploader(_("Layer file"), key="layer_upload")
    if upload is None:
        return
    try:
        data = upload.getvalue()
        if upload.name.lower().endswith(".csv"):
            encoding = detect_encoding(data)
            st.caption(_("Text encoding detected: {encoding} (read as such)").format(encoding=_(encoding)))
        path = save_upload(upload.name, data, _folder())
        columns = columns_of(path)
    except (CoverageError, ValueError) as exc:
        st.error(_("This file cannot be used:") + f"\n\n{frame_error(str(exc))}")
        return
    st.caption(_("Columns: {columns}").format(columns=", ".join(columns)))
    id_column = _pick(
        _("Id column"), columns, ("site_id", "unit_id", "id", "code"), optional=False, key="map_id"
    )
    name = _pick(_("Name column"), columns, ("name", "nom", "libelle"), optional=True, key="map_name")
    extra: dict[str, str | None] = {}
    if kind == "sites":
        extra["capacity"] = _pick(
            _("Capacity column (slots)"),
            columns,
            ("capacity", "capacite", "capacité", "slots"),
            optional=True,
            key="map_capacity",
        )
        extra["cost"] = _pick(
            _("Cost column (cost of opening each site, for a budget)"),
            columns,
            ("cost", "cout", "coût", "budget"),
            optional=True,
            key="map_cost",
        )
        partner = st.text_input(_("Partner owning these sites"), "my_sites", key="map_partner")
    else:
        extra["need"] = _pick(
            _("Need column"), columns, ("need", "besoin", "population"), optional=False, key="map_need"
        )
    lon = lat = None
    if path.suffix == ".csv":
        lon = _pick(
            _("Longitude column"), columns, ("longitude", "lon", "lng", "x"), optional=False, key="map_lon"
        )
        lat = _pick(_("Latitude column"), columns, ("latitude", "lat", "y"), optional=False, key="map_lat")
    if not st.button(_("Read this layer"), key="read_layer"):
        return
    required = {_("Id"): id_column}
    if path.suffix == ".csv":
        required |= {_("Longitude"): lon, _("Latitude"): lat}
    if not all(required.values()):
        missing = ", ".join(k for k, v in required.items() if not v)
        st.warning(_("Choose the column of: {columns}").format(columns=missing))
        return
    mapping = ColumnMapping(
        id=str(id_column), name=name, lon=lon or "longitude", lat=lat or "latitude", **extra
    )
    try:
        if kind == "sites":
            written = _folder() / f"{path.stem}-sites.geojson"
            sites = read_sites_upload(path, mapping, partner=partner.strip() or "my_sites", out=written)
            out = store_layer(written, "sites")  # links name it by its content's hash
            st.session_state["site_layer"] = {
                "sites.upload.source": json.dumps(str(out)),
                "sites.upload.partner": json.dumps(partner.strip() or "my_sites"),
                # the mapped capacity column is kept (it was dropped: every site had 1 slot)
                "sites.upload.capacity": json.dumps("capacity") if mapping.capacity else "1",
            }
            if mapping.cost:  # each site's own cost, for objective.budget
                st.session_state["site_layer"]["sites.upload.cost"] = json.dumps("cost")
            st.session_state["upload_message"] = _(
                "{n} candidate sites added to the scenario as layer 'upload'."
            ).format(n=format_number(len(sites)))
            st.rerun()  # the sidebar, drawn before this tab, builds the scenario with the new layer
        else:
            demand: gpd.GeoDataFrame = read_demand_upload(path, mapping)
            st.session_state["demand_layer"] = save_demand_layer(demand, upload_store())
            st.session_state["demand"] = demand
            st.session_state["upload_message"] = _(
                "{n} demand units, need {need}, drawn on the map "
                "and used in the solve (units outside the chosen departments are left out)."
            ).format(n=format_number(len(demand)), need=format_number(demand["need"].sum()))
            st.rerun()  # the sidebar, drawn before this tab, builds the scenario with the new demand
    except (CoverageError, ValueError) as exc:
        st.error(_("The layer has problems:") + f"\n\n{frame_error(str(exc))}")
