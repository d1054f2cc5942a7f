"""Issue 13: time and memory of refusing oversized uploads before any work.

    python benchmarks/limits.py [--points 6000000] [--work /tmp/limits]

Writes a zipped shapefile of ``--points`` points (one int32 column; 6 million
points zip to about 50 MiB, 263 MiB unzipped; writing it takes minutes), then
times :func:`coverage.app.upload.save_upload` on it twice, in fresh processes
so that the peak resident memory is the check's own: once as the app runs it
(the unzipped-size check, from the zip's directory), once with that check
lifted (the feature count, from the shapefile's index). The upload size cap is
lifted for both, since the file is a few bytes above 50 MiB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

MEASURE = """
import pathlib, resource, sys, tempfile, time
import coverage.app.upload as up
data = pathlib.Path(sys.argv[1]).read_bytes()
up.MAX_UPLOAD_BYTES = 60 * 2**20
if sys.argv[2] == "features":
    up.MAX_UNZIPPED_BYTES = 400 * 2**20
folder = pathlib.Path(tempfile.mkdtemp())
start = time.perf_counter()
try:
    up.save_upload("points.zip", data, folder)
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
left = len(list(folder.iterdir()))
print(f"{sys.argv[2]}: {seconds:.3f} s, peak RSS {peak:.0f} MB, files left {left}: {outcome}")
"""


def make_zip(points: int, work: Path) -> Path:
    import geopandas as gpd
    import numpy as np
    import pyogrio

    target = work / f"points{points}.zip"
    if target.exists():
        return target
    index = np.arange(points)
    frame = gpd.GeoDataFrame(
        {"id": index.astype(np.int32)},
        geometry=gpd.points_from_xy(1.5 + (index % 3000) * 1e-4, 45.5 + (index // 3000) * 1e-4),
        crs=4326,
    )
    folder = work / "shp"
    folder.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(frame, folder / "points.shp")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=6_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/coverage-limits"))
    args = parser.parse_args()
    archive = make_zip(args.points, args.work)
    print(f"{archive}: {archive.stat().st_size / 2**20:.1f} MiB")
    for mode in ("size", "features"):
        subprocess.run([sys.executable, "-c", MEASURE, str(archive), mode], check=True)


if __name__ == "__main__":
    main()
