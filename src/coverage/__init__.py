"""Coverage planning for digital-inclusion advisors in France.

The package reads as the pipeline, data flowing one way; a subpackage imports
only from those above it in this list:

- :mod:`coverage.errors`: the library's exceptions (every stage raises them);
- :mod:`coverage.data`: territories and their metric CRS, the embedded communes
  and departments, the catalogue and folder of official files, their readers
  (:mod:`coverage.data.layers`) and the settings;
- :mod:`coverage.inputs`: demand units and their need, candidate sites, partners
  and the horizon;
- :mod:`coverage.reach`: the sparse (unit, site, distance) pairs within an
  access rule;
- :mod:`coverage.plan`: the immutable solved :class:`Plan` with its tables,
  KPIs, explanations, exports and maps;
- :mod:`coverage.models`: maximal coverage, set cover, p-median, p-center and
  staffing (the maths in its docstring), solved through PuLP; each returns a
  :class:`Plan`, which is why :mod:`coverage.plan` sits above it;
- :mod:`coverage.scenario`: scenario files, end-to-end runs, lock files, run
  folders and comparisons;
- :mod:`coverage.batch`: what-if grids on Dask;
- :mod:`coverage.cli` and :mod:`coverage.app`: the ``coverage-plan`` command
  line and the Streamlit map app, thin layers over the rest.

Maps sit in :mod:`coverage.plan` (a map is one more export of a plan) and the
settings in :mod:`coverage.data` (they say only where the data folder is), so
that the top level stays at the stages themselves.

Note: the import name ``coverage`` is also that of coverage.py; do not install
both in one environment.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from coverage import errors
from coverage.data import territory
from coverage.data.embedded import load_communes, load_departments
from coverage.inputs.demand import build_demand, demand_from_file
from coverage.inputs.rules import DepartmentRules
from coverage.inputs.sites import build_sites
from coverage.models.location import maximal_coverage, p_center, p_median, set_cover
from coverage.models.solver import SolverOptions
from coverage.models.staffing import staffing
from coverage.plan.plan import Plan
from coverage.plan.verify import verify_plan
from coverage.reach.layers import build_reach
from coverage.reach.pairs import Reach

try:
    __version__ = version("coverage-planning")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "DepartmentRules",
    "Plan",
    "Reach",
    "SolverOptions",
    "__version__",
    "build_demand",
    "build_reach",
    "build_sites",
    "demand_from_file",
    "errors",
    "load_communes",
    "load_departments",
    "maximal_coverage",
    "p_center",
    "p_median",
    "set_cover",
    "staffing",
    "territory",
    "verify_plan",
]
