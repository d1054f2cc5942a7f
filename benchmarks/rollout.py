"""The rollout model on the founding case: solve time of the time-phased model per rollout variant.

    .venv/bin/python benchmarks/rollout.py [--runs 3] [--data-dir ../shared/geodata-sources]

Runs the founding case once (shortlist with a 20 s limit, static staffing), then
phases its plan with :func:`coverage.models.rollout.rollout_plan` for each variant and
prints the median seconds, the solves, the periods, the people by the end and the
target month or shortfall.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import time

from coverage.inputs.partners import Partner
from coverage.inputs.rollout import PartnerRollout, Rollout, Wave, linear_ramp
from coverage.models.rollout import rollout_plan
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario


def _waves(april: dt.date = dt.date(2022, 4, 1), **options: object) -> dict[str, PartnerRollout]:
    laposte = PartnerRollout((Wave(dt.date(2022, 1, 1), 50, "january"), Wave(april, 50, "april")), **options)
    return {"laposte": laposte}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", default="../shared/geodata-sources")
    args = parser.parse_args()
    scenario = load_scenario(shipped_scenario("laposte-2021"), overrides=["solver.time_limit=20"])
    run = run_scenario(scenario, data_dir=args.data_dir)
    plan, horizon = run.plan, scenario.to_horizon()
    print(f"static plan: {plan.status}, {plan.served_need:,.0f} people, {len(plan.slots)} slot entries")
    ramp = linear_ramp(3)
    faster = tuple(
        dataclasses.replace(p, people_per_slot_month=p.people_per_slot_month * 1.4) for p in plan.partners
    )
    variants: list[tuple[str, Rollout, tuple[Partner, ...]]] = [
        (
            "waves Jan + Apr, ramp 3",
            Rollout(horizon.start, horizon.until, _waves(), ramp=ramp),
            plan.partners,
        ),
        (
            "waves Jan + Jul, ramp 3",
            Rollout(horizon.start, horizon.until, _waves(dt.date(2022, 7, 1)), ramp=ramp),
            plan.partners,
        ),
        (
            "waves Jan + Apr, ramp 3, attrition 1 %/month replaced (24 periods)",
            Rollout(
                horizon.start,
                horizon.until,
                _waves(attrition=0.01, replacement=True),
                ramp=ramp,
            ),
            plan.partners,
        ),
        (
            "waves Jan + Apr, ramp 3, rates x 1.4 (target reached: bisection)",
            Rollout(horizon.start, horizon.until, _waves(), ramp=ramp),
            faster,
        ),
    ]
    print(f"{'variant':<70} {'median s':>9} {'solves':>6} {'people':>9}  target")
    for name, rollout, partners in variants:
        phased = dataclasses.replace(plan, partners=partners)
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            trajectory = rollout_plan(phased, run.reach, rollout, target=horizon.target)
            seconds.append(time.perf_counter() - started)
        month = trajectory.target_month
        outcome = f"reached {month:%Y-%m}" if month else f"shortfall {trajectory.shortfall:,.0f}"
        print(
            f"{name:<70} {statistics.median(seconds):>9.2f} {len(trajectory.phases):>6} "
            f"{trajectory.people_total:>9,.0f}  {outcome} ({trajectory.status})"
        )


if __name__ == "__main__":
    main()
