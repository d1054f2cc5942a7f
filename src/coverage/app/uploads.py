"""The "Your data" tab: upload a site or demand layer, map its columns, read it through the library."""

from __future__ import annotations

import json
import tempfile
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
)
from coverage.errors import CoverageError

_NONE = "(none)"


def _folder() -> Path:
    return Path(st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="coverage-app-")))


def _pick(label: str, columns: list[str], guess: tuple[str, ...], *, optional: bool, key: str) -> str | None:
    """A column chosen by the planner, preset only when a column's name matches ``guess``.

    A required column no name matches is left unset: the planner is asked,
    never given the first column (longitude and latitude defaulted to it).
    """
    options = ([_NONE] if optional else []) + columns
    lowered = [c.lower() for c in options]
    index = next((lowered.index(g) for g in guess if g in lowered), 0 if optional else None)
    chosen = st.selectbox(label, options, index=index, key=key, placeholder="Choose a column")
    return None if chosen in (_NONE, None) else chosen


def uploads_tab() -> None:
    """Draw the tab; a layer read without problems goes to the session's scenario overrides.

    Sites to ``site_layer`` (a site layer ``upload``), demand to ``demand_layer``
    (``demand.source``: the solve uses these units instead of the built demand)
    and ``demand`` (drawn on the map).
    """
    st.write(
        f"Upload candidate sites or demand units: {', '.join(UPLOAD_SUFFIXES)} (a .zip holds a shapefile), "
        f"at most {MAX_UPLOAD_BYTES // 2**20} MB. Files are only read as data. An uploaded demand layer "
        "replaces the demand built from the communes in the solve."
    )
    if "upload_message" in st.session_state:
        st.success(st.session_state["upload_message"])
    if "demand_layer" in st.session_state and st.button(
        "Remove the uploaded demand (back to the built demand)", key="remove_demand"
    ):
        for name in ("demand_layer", "demand", "upload_message"):
            st.session_state.pop(name, None)
        st.rerun()
    kind = st.radio("Layer", ["sites", "demand"], horizontal=True, key="upload_kind")
    upload = st.file_uploader("Layer file", key="layer_upload")
    if upload is None:
        return
    try:
        data = upload.getvalue()
        if upload.name.lower().endswith(".csv"):
            st.caption(f"Text encoding detected: {detect_encoding(data)} (read as such)")
        path = save_upload(upload.name, data, _folder())
        columns = columns_of(path)
    except (CoverageError, ValueError) as exc:
        st.error(f"This file cannot be used:\n\n{exc}")
        return
    st.caption(f"Columns: {', '.join(columns)}")
    id_column = _pick(
        "Id column", columns, ("site_id", "unit_id", "id", "code"), optional=False, key="map_id"
    )
    name = _pick("Name column", columns, ("name", "nom", "libelle"), optional=True, key="map_name")
    extra: dict[str, str | None] = {}
    if kind == "sites":
        extra["capacity"] = _pick(
            "Capacity column (slots)", columns, ("capacity",), optional=True, key="map_capacity"
        )
        partner = st.text_input("Partner owning these sites", "my_sites", key="map_partner")
    else:
        extra["need"] = _pick("Need column", columns, ("need", "population"), optional=False, key="map_need")
    lon = lat = None
    if path.suffix == ".csv":
        lon = _pick(
            "Longitude column", columns, ("longitude", "lon", "lng", "x"), optional=False, key="map_lon"
        )
        lat = _pick("Latitude column", columns, ("latitude", "lat", "y"), optional=False, key="map_lat")
    if not st.button("Read this layer", key="read_layer"):
        return
    required = {"Id": id_column, **({"Longitude": lon, "Latitude": lat} if path.suffix == ".csv" else {})}
    if not all(required.values()):
        st.warning(f"Choose the column of: {', '.join(k for k, v in required.items() if not v)}")
        return
    mapping = ColumnMapping(
        id=str(id_column), name=name, lon=lon or "longitude", lat=lat or "latitude", **extra
    )
    try:
        if kind == "sites":
            out = _folder() / f"{path.stem}-sites.geojson"
            sites = read_sites_upload(path, mapping, partner=partner.strip() or "my_sites", out=out)
            st.session_state["site_layer"] = {
                "sites.upload.source": json.dumps(str(out)),
                "sites.upload.partner": json.dumps(partner.strip() or "my_sites"),
                # the mapped capacity column is kept (it was dropped: every site had 1 slot)
                "sites.upload.capacity": json.dumps("capacity") if mapping.capacity else "1",
            }
            st.session_state["upload_message"] = (
                f"{len(sites):,} candidate sites added to the scenario as layer 'upload'."
            )
            st.rerun()  # the sidebar, drawn before this tab, builds the scenario with the new layer
        else:
            demand: gpd.GeoDataFrame = read_demand_upload(path, mapping)
            st.session_state["demand_layer"] = save_demand_layer(demand, _folder())
            st.session_state["demand"] = demand
            st.session_state["upload_message"] = (
                f"{len(demand):,} demand units, need {demand['need'].sum():,.0f}, drawn on the map "
                "and used in the solve (units outside the chosen departments are left out)."
            )
            st.rerun()  # the sidebar, drawn before this tab, builds the scenario with the new demand
    except (CoverageError, ValueError) as exc:
        st.error(f"The layer has problems:\n\n{exc}")
