"""Coverage planning for digital-inclusion advisors in France.

Modules, in the order data flows through them:

- :mod:`coverage.territory`: territories and their metric CRS;
- :mod:`coverage.embedded`: the embedded communes and departments;
- :mod:`coverage.layers`: readers of the official files and of any user file;
- :mod:`coverage.demand`: demand units and their need (built, or read from a file);
- :mod:`coverage.sites`: candidate sites of every partner, and eligibility;
- :mod:`coverage.reach`: sparse (unit, site, distance) pairs within an access rule
  (rules in :mod:`coverage.reach_rules`, built from layers by
  :mod:`coverage.reach_layers`);
- :mod:`coverage.partners`: partners, who may use whose premises, the horizon;
- :mod:`coverage.model`: maximal coverage, set cover, p-median, p-center
  (the maths in its docstring; built by :mod:`coverage.builders`), with :mod:`coverage.rules` for department
  rules, :mod:`coverage.solver` for CBC / HiGHS through PuLP and
  :mod:`coverage.solving` for solving, explaining infeasibility and making the plan;
- :mod:`coverage.staffing`: advisor slots per partner and site, with sharing;
- :mod:`coverage.plan`: the solved, immutable plan: KPIs, explanations, exports;
- :mod:`coverage.maps`: folium maps of a plan;
- :mod:`coverage.scenario`: scenario files (TOML), inheritance and overrides
  (the scenario in :mod:`coverage.scenario_schema`, its tables in
  :mod:`coverage.scenario_tables`); :mod:`coverage.scenario_run`
  runs one end to end (files located by :mod:`coverage.scenario_files`, inputs
  built by :mod:`coverage.scenario_inputs`); :mod:`coverage.lock` records what a run read and with
  which versions; :mod:`coverage.run_output` writes and reads its output folder;
  :mod:`coverage.compare` compares two runs;
- :mod:`coverage.batch`: what-if grids on Dask (grid files in
  :mod:`coverage.batch_grid`, summary, chart and report in :mod:`coverage.batch_report`);
- :mod:`coverage.datadir`: the folder of official files, and downloading them;
- :mod:`coverage.cli`: the ``coverage-plan`` command line (``run`` and
  ``compare`` in :mod:`coverage.cli_run`, ``batch`` in :mod:`coverage.cli_batch`).

Note: the import name ``coverage`` is also that of coverage.py; do not install
both in one environment.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from coverage import errors, territory
from coverage.demand import build_demand, demand_from_file
from coverage.embedded import load_communes, load_departments
from coverage.model import SolverOptions, maximal_coverage, p_center, p_median, set_cover
from coverage.plan import Plan
from coverage.reach import Reach
from coverage.reach_layers import build_reach
from coverage.rules import DepartmentRules
from coverage.sites import build_sites

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
    "demand_from_file",
    "build_reach",
    "build_sites",
    "errors",
    "load_communes",
    "load_departments",
    "maximal_coverage",
    "p_center",
    "p_median",
    "set_cover",
    "territory",
]
