"""Coverage planning for digital-inclusion advisors in France.

Modules, in the order data flows through them:

- :mod:`coverage.territory`: territories and their metric CRS;
- :mod:`coverage.embedded`: the embedded communes and departments;
- :mod:`coverage.layers`: readers of the official files and of any user file;
- :mod:`coverage.demand`: demand units and their need;
- :mod:`coverage.sites`: candidate sites of every partner, and eligibility;
- :mod:`coverage.datadir`: the folder of official files, and downloading them;
- :mod:`coverage.cli`: the ``coverage-plan`` command line.

Note: the import name ``coverage`` is also that of coverage.py; do not install
both in one environment.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from coverage import errors, territory
from coverage.demand import build_demand
from coverage.embedded import load_communes, load_departments
from coverage.sites import build_sites

try:
    __version__ = version("coverage-planning")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "build_demand",
    "build_sites",
    "errors",
    "load_communes",
    "load_departments",
    "territory",
]
