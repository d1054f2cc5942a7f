r"""Stage 4, the models: coverage, location and staffing, built from the sparse reach, solved through PuLP.

Notation: demand units :math:`i` with need :math:`w_i`; candidate sites
:math:`j` with owner :math:`o(j)`, capacity :math:`c_j` advisor slots, cost
:math:`f_j` and department :math:`d(j)`; partners :math:`p` with advisors
:math:`B_p`, slots per advisor :math:`m_p` and people per slot per month
:math:`k_p`; :math:`N_i` the sites within reach of :math:`i`, at distance
:math:`d_{ij}`; :math:`T` months of work. :math:`y_j \in \{0,1\}` opens site
:math:`j`.

Maximal coverage (:func:`~coverage.models.location.maximal_coverage`)
    .. math:: \max \sum_i w_i z_i \quad z_i \le \sum_{j \in N_i} y_j,\;
              \sum_j y_j \le S,\; 0 \le z_i \le 1

    With a distance decay :math:`a_{ij} \in (0, 1]`, assignment variables
    replace :math:`z`: :math:`\max \sum w_i a_{ij} x_{ij}`,
    :math:`\sum_j x_{ij} \le 1`, :math:`x_{ij} \le y_j`.

    Where the site count alone links the reach graph's components :math:`c`
    (:mod:`coverage.models.decomposition`), the optimum is
    :math:`\max \sum_c f_c(k_c)` with :math:`\sum_c k_c \le S`, :math:`f_c(k)` the
    best coverage of :math:`c` with :math:`k` sites: an exact knapsack over
    bounds on :math:`f_c` that component MIPs tighten until they meet.

    With "exactly :math:`K` departments served" as the only department rule
    (:mod:`coverage.models.served_departments`): flags :math:`v_d` with
    :math:`y_j \le v_{d(j)} \le \sum_{d(j') = d} y_{j'}`, :math:`\sum_d v_d = K`,
    and the stronger row :math:`z_i \le \sum_{d \in D_i} v_d`, :math:`D_i` the
    departments of :math:`N_i`, solved by HiGHS (the founding case's shortlist:
    LP bound 0.02 % above the optimum instead of 4.4 %).

    Large models (:data:`~coverage.models.matrix_coverage.MATRIX_MIN_PAIRS`
    reach pairs or more) with the site count as the only constraint skip
    PuLP: the merged rows x sites arrays go to CBC through an MPS file written
    by HiGHS (or to HiGHS itself with ``solver='highs'``), every phase under
    the one time limit (:mod:`coverage.models.matrix_coverage`).

Set cover and coverage target (:func:`~coverage.models.location.set_cover`)
    .. math:: \min \sum_j y_j \quad \sum_{j \in N_i} y_j \ge 1 \;\forall i: w_i > 0

    or, with a target :math:`R`, :math:`\sum_i w_i z_i \ge R` with
    :math:`z_i` as in maximal coverage.

p-median (:func:`~coverage.models.location.p_median`)
    .. math:: \min \sum_{i,j} w_i d_{ij} x_{ij} \quad \sum_{j \in N_i} x_{ij} = 1,\;
              x_{ij} \le y_j,\; \sum_j y_j = p

    By default proven with no MIP by Lagrangian branch and bound with
    reduced-cost fixing (:mod:`coverage.models.median_branch`, Beasley 1993:
    every OR-Library pmed1-40 in seconds); where the dense rows x sites matrix
    is too large, solved as this MIP or, from 5 % of candidates open, by its
    radius formulation (:mod:`coverage.models.radius`), exact and with half
    the nonzeros.

p-center (:func:`~coverage.models.location.p_center`)
    .. math:: \min D \quad \sum_{j \in N_i} d_{ij} x_{ij} \le D, \text{ as p-median otherwise}

    solved exactly as the smallest pair distance :math:`r` whose set cover
    (pairs within :math:`r`) needs at most :math:`p` sites, by bisection: the
    assignment formulation's LP bound is too weak (OR-Library pmed1 ran over
    300 s with CBC; by radius it takes 0.3 s).

Capacitated staffing with sharing (:func:`coverage.models.staffing.staffing`)
    Integer slots :math:`t_{pj}` where partner :math:`p` may use the premises
    of :math:`o(j)`; served need :math:`x_{ij} \ge 0`:

    .. math:: \sum_j t_{pj} \le m_p B_p,\quad y_j \le \sum_p t_{pj} \le c_j y_j,\quad
              \sum_j x_{ij} \le w_i,\quad \sum_i x_{ij} \le T \sum_p k_p t_{pj}

    maximise :math:`\sum x_{ij}`, then minimise :math:`\sum d_{ij} x_{ij}` at that
    level (two solves); or minimise advisors :math:`\sum_p a_p` with
    :math:`m_p a_p \ge \sum_j t_{pj}` and :math:`\sum x_{ij} \ge R`.

    A greedy plan (:mod:`coverage.models.staffing_greedy`) places slots where
    they serve the most need left; when it serves as much as an upper bound
    (:math:`\sum_p T k_p m_p B_p`, the need in reach, or the LP relaxation
    without :math:`y`), it is optimal with no MIP (``method='greedy_bound'``,
    :mod:`coverage.models.staffing_fast`); otherwise it warm-starts and floors
    the MIP.

Rollout over time (:func:`~coverage.models.rollout.rollout_plan`, ``staffing(..., rollout=...)``)
    The static staffing plan's slots are filled by training waves :math:`c`
    (integer :math:`s_{pjc}`, :math:`\sum_c s_{pjc} \le t_{pj}`,
    :math:`\sum_j s_{pjc} \le m_p B_c`), each working at a factor
    :math:`f_c(t)` of the steady rate (ramp-up, attrition); people accompanied
    per period :math:`x_{ijt} \ge 0`:

    .. math:: \sum_i x_{ijt} \le \sum_{p,c} k_p f_c(t) s_{pjc},\quad
              \sum_{j,t} x_{ijt} \le r\, w_i

    maximise the people by the end; with a target, the earliest month it can be
    reached (bisection), then the people by the end, then the earliest service.

Every model takes sites forced open (:math:`y_j = 1`), sites closed (removed),
a budget :math:`\sum_j f_j y_j \le F`, and :class:`~coverage.models.rules.DepartmentRules`:
site or advisor quotas per department, exactly :math:`K` departments served
(:math:`s_d \le \sum_{j \in d} y_j \le |d|\, s_d`, :math:`\sum_d s_d = K`), a
minimum served share per department, or max-min share then total.

Before solving, each constraint group is checked against the data and a
:class:`~coverage.errors.InfeasibleScenarioError` names the group and the
numbers. When the solver still proves infeasibility, the groups are relaxed
one at a time and the first whose removal restores feasibility is reported.

The modules, in the order a solve goes through them:

- :mod:`coverage.models.rules`: department rules and their checks before the solve;
- :mod:`coverage.models.instance`: the instance a model is built on (reach,
  forced and closed sites, exact reductions: merged units, dominated sites);
- :mod:`coverage.models.formulation`: PuLP rows and columns built from arrays;
- :mod:`coverage.models.reductions`: dominated sites, in bounded memory and time;
- :mod:`coverage.models.builders`: the coverage and assignment formulations;
- :mod:`coverage.models.staffing_model`: the staffing formulation for PuLP;
- :mod:`coverage.models.radius`: p-median by radius (covering) formulation;
- :mod:`coverage.models.lagrangian` and :mod:`coverage.models.median_branch`:
  the p-median's Lagrangian bound and its branch and bound;
- :mod:`coverage.models.solver`: CBC and HiGHS through PuLP, options and status;
- :mod:`coverage.models.solving`: solve, explain infeasibility, make the plan;
- :mod:`coverage.models.staffing_greedy` and :mod:`coverage.models.staffing_fast`:
  the greedy staffing plan, its bounds, and the plan they prove optimal;
- :mod:`coverage.models.location` and :mod:`coverage.models.staffing`: the
  public models;
- :mod:`coverage.models.rollout` (with :mod:`coverage.models.rollout_tables`): a
  staffing plan phased over the months of its horizon.
"""

from __future__ import annotations

from coverage.inputs.rules import DepartmentRules
from coverage.models.location import maximal_coverage, p_center, p_median, set_cover
from coverage.models.rollout import rollout_plan
from coverage.models.solver import SolverOptions
from coverage.models.staffing import HIGHS_STAFFING_PAIRS, staffing

__all__ = [
    "HIGHS_STAFFING_PAIRS",
    "DepartmentRules",
    "SolverOptions",
    "maximal_coverage",
    "p_center",
    "p_median",
    "rollout_plan",
    "set_cover",
    "staffing",
]
