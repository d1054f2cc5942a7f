"""Stage 1, the data: territories, the embedded geodata, the official files and their readers.

- :mod:`coverage.data.territory`: the territories of France and the metric CRS
  to measure each one in;
- :mod:`coverage.data.embedded`: the communes and departments shipped with the
  library;
- :mod:`coverage.data.layers`: readers of the official files and of any user
  file, with validation that names the file, row and column;
- :mod:`coverage.data.catalogue`: publisher, licence and vintage of every
  official file; :mod:`coverage.data.folder` finds them in a data folder,
  reports on them and downloads them;
- :mod:`coverage.data.settings`: the one place that reads ``COVERAGE_DATA_DIR``.

Nothing here knows about demand, sites or models: every later stage reads
through these modules.
"""

from __future__ import annotations

from coverage.data import territory
from coverage.data.catalogue import CATALOGUE, DataFile
from coverage.data.embedded import load_communes, load_departments
from coverage.data.folder import embedded_summary, fetch, missing, scan
from coverage.data.settings import DATA_DIR_ENV, Settings, get_settings, resolve_data_dir

__all__ = [
    "CATALOGUE",
    "DATA_DIR_ENV",
    "DataFile",
    "Settings",
    "embedded_summary",
    "fetch",
    "get_settings",
    "load_communes",
    "load_departments",
    "missing",
    "resolve_data_dir",
    "scan",
    "territory",
]
