"""Stage 5, the plan: what a solve decided, and every figure and export that follows from it.

- :mod:`coverage.plan.solution`: the raw :class:`Solution` a model hands over,
  in the order of its reach;
- :mod:`coverage.plan.tables`: the per-unit and per-site tables joined from it;
- :mod:`coverage.plan.kpis`: KPIs by department, partner and zone, the
  unreached priority units; :mod:`coverage.plan.projection`: the projection
  of people accompanied by a date;
- :mod:`coverage.plan.export`: GeoPackage, GeoJSON, CSV, Parquet and JSON,
  written atomically;
- :mod:`coverage.plan.plan`: the immutable :class:`Plan` over them, with the
  :class:`Constraints` its model was solved under (:mod:`coverage.plan.constraints`);
- :mod:`coverage.plan.verify`: :func:`verify_plan`, an independent re-check of
  every constraint from the plan's own tables (the model's limits, department
  rules and KPI totals in :mod:`coverage.plan.verify_model`, the words of a
  broken limit in :mod:`coverage.plan.violation`);
- :mod:`coverage.plan.binding` and :mod:`coverage.plan.analysis`: each
  constraint group's use against its limit (what binds), and the records of
  the marginal values that :func:`coverage.scenario.marginal.what_binds` measures;
- :mod:`coverage.plan.trajectory`: a rollout's people accompanied month by
  month and the month the target is reached (:class:`Trajectory`), checked by
  :func:`verify_trajectory` (:mod:`coverage.plan.verify_rollout`) and drawn by
  :func:`trajectory_chart` (:mod:`coverage.plan.trajectory_chart`);
- :mod:`coverage.plan.maps`: folium maps of a plan (an export too).

The models of :mod:`coverage.models` import this stage to make their plans;
nothing here imports a model.
"""

from __future__ import annotations

from coverage.plan.analysis import Marginal, WhatBinds
from coverage.plan.binding import Binding, binding_constraints
from coverage.plan.constraints import Constraints
from coverage.plan.kpis import Projection
from coverage.plan.maps import PARTNER_COLOURS, plan_map
from coverage.plan.plan import Plan
from coverage.plan.solution import STATUSES, Solution
from coverage.plan.trajectory import Trajectory
from coverage.plan.trajectory_chart import trajectory_chart
from coverage.plan.verify import Violation, check_plan, verify_plan
from coverage.plan.verify_rollout import verify_trajectory

__all__ = [
    "PARTNER_COLOURS",
    "STATUSES",
    "Binding",
    "Constraints",
    "Marginal",
    "Plan",
    "Projection",
    "Solution",
    "Trajectory",
    "Violation",
    "WhatBinds",
    "binding_constraints",
    "check_plan",
    "plan_map",
    "trajectory_chart",
    "verify_plan",
    "verify_trajectory",
]
