"""Property tests: staffing against exhaustive enumeration on tiny random instances.

Same instances and settings as test_model_properties.py (see model_cases.py);
sites also get an owner partner and a capacity, and partners may share sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import (
    Rules,
    eligible,
    in_reach,
)
from model_cases import (
    FEW,
    Tiny,
    forced_closed,
    options,
    served,
    solve_like_brute,
    tiny,
)

# -- staffing --------------------------------------------------------------------

PARTNER_NAMES = ("poste", "sos")
OWNERS = ("poste", "sos", "mairie")  # the town hall is a partner of nobody: only sharing opens it


@dataclass(frozen=True)
class Staffing:
    inst: Tiny
    owners: tuple[str, ...]
    capacity: tuple[int, ...]
    partners: tuple  # coverage.inputs.partners.Partner
    pairs: frozenset[tuple[str, str]]  # (partner, owner) the sharing matrix allows
    months: float
    forced: frozenset[int]
    closed: frozenset[int]

    def sharing(self):
        from coverage.inputs.partners import Sharing

        return Sharing.from_pairs(sorted(self.pairs))

    def may_use(self) -> dict[tuple[str, str], bool]:
        return {(p.name, o): p.name == o or (p.name, o) in self.pairs for p in self.partners for o in OWNERS}

    def sites(self) -> pd.DataFrame:
        frame = self.inst.sites()
        frame["partner"] = list(self.owners)
        frame["capacity"] = list(self.capacity)
        return frame

    def brute(self, partners=None) -> float | None:
        partners = self.partners if partners is None else partners
        open_ok = [j not in self.closed for j in range(self.inst.m)]
        return bf.staffing_max_served(
            in_reach(self.inst.dist, self.inst.radius),
            self.inst.need,
            [bf.StaffPartner(p.name, p.slots, p.people_per_slot_month) for p in partners],
            self.owners,
            self.capacity,
            self.may_use(),
            self.months,
            open_ok=open_ok,
            forced=sorted(self.forced),
        )

    def brute_min_advisors(self, target: float) -> int | None:
        open_ok = [j not in self.closed for j in range(self.inst.m)]
        return bf.staffing_min_advisors(
            in_reach(self.inst.dist, self.inst.radius),
            self.inst.need,
            [bf.StaffPartner(p.name, p.slots, p.people_per_slot_month) for p in self.partners],
            [p.slots_per_advisor for p in self.partners],
            self.owners,
            self.capacity,
            self.may_use(),
            self.months,
            target,
            open_ok=open_ok,
            forced=sorted(self.forced),
        )

    def solve(self, partners=None, solver: str = "cbc", **kwargs):
        from coverage.models.staffing import staffing

        return staffing(
            self.inst.demand(),
            self.sites(),
            self.inst.reach(),
            self.partners if partners is None else partners,
            sharing=self.sharing(),
            months=self.months,
            forced=self.inst.ids(self.forced),
            closed=self.inst.ids(self.closed),
            options=options(solver),
            **kwargs,
        )


@st.composite
def staffing_case(draw: st.DrawFn) -> Staffing:
    from coverage.inputs.partners import Partner

    inst = draw(tiny(max_sites=3))
    count = draw(st.integers(1, 2))
    partners = tuple(
        Partner(
            name,
            advisors=draw(st.integers(0, 2)),
            slots_per_advisor=draw(st.integers(1, 2)),
            people_per_slot_month=float(draw(st.sampled_from([5, 10, 20]))),
        )
        for name in PARTNER_NAMES[:count]
    )
    owners = tuple(draw(st.lists(st.sampled_from(OWNERS), min_size=inst.m, max_size=inst.m)))
    capacity = tuple(draw(st.lists(st.integers(0, 2), min_size=inst.m, max_size=inst.m)))
    forced, closed = draw(forced_closed(inst.m, max_forced=1))
    # The sharing matrix names partners and owners of eligible sites only: naming the owner of
    # sites that reach no need is refused (test_model.py::test_sharing_may_name_an_owner_without_need).
    usable = eligible(in_reach(inst.dist, inst.radius), inst.need, Rules(forced=forced, closed=closed))
    known = {p.name for p in partners} | {o for o, ok in zip(owners, usable, strict=True) if ok}
    pairs = frozenset(
        draw(
            st.sets(
                st.sampled_from(
                    [(p.name, o) for p in partners for o in OWNERS if p.name != o and o in known]
                    or [("", "")]
                )
            )
        )
    )
    pairs = frozenset(pair for pair in pairs if pair != ("", ""))
    months = float(draw(st.sampled_from([1, 2])))
    return Staffing(inst, owners, capacity, partners, pairs, months, forced, closed)


def check_staffing_plan(plan, case: Staffing) -> None:
    """Slots within partner budgets, site capacities and the sharing matrix; served within need and slots."""
    slots = plan.slots
    owner = dict(zip(case.inst.site_ids, case.owners, strict=True))
    capacity = dict(zip(case.inst.site_ids, case.capacity, strict=True))
    budget = {p.name: p.slots for p in case.partners}
    assert (slots["slots"] > 0).all()
    for partner, total in slots.groupby("partner")["slots"].sum().items():
        assert total <= budget[partner], f"{partner} holds {total} slots, has {budget[partner]}"
    for site, total in slots.groupby("site_id")["slots"].sum().items():
        assert total <= capacity[site], f"{site} holds {total} slots, capacity {capacity[site]}"
    for row in slots.itertuples():
        assert row.partner == owner[row.site_id] or (row.partner, owner[row.site_id]) in case.pairs, (
            f"{row.partner} staffs {row.site_id} owned by {owner[row.site_id]} without sharing"
        )
    staffed = set(slots["site_id"])
    assert set(plan.open_site_ids) == staffed, "open sites are not exactly the staffed sites"
    assert staffed.isdisjoint(case.inst.ids(case.closed))
    assert set(case.inst.ids(case.forced)) <= staffed
    got = served(plan, case.inst)
    assert (got >= -1e-9).all()
    assert (got <= case.inst.need + 1e-6).all(), "served need exceeds need"
    # What the plan serves is deliverable by its slots (transportation LP).
    rate = {p.name: p.people_per_slot_month * case.months for p in case.partners}
    people = np.zeros(case.inst.m)
    for row in slots.itertuples():
        people[case.inst.site_ids.index(row.site_id)] += row.slots * rate[row.partner]
    cover = in_reach(case.inst.dist, case.inst.radius)
    assert got.sum() <= bf.served_given_slots(cover, case.inst.need, people) + 1e-6
    assert not (got[~cover.any(axis=1)] > 0).any(), "a unit without a site in reach is served"


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@FEW
@given(case=staffing_case())
def test_staffing_equals_brute_force(solver, case):
    best = case.brute()
    plan = solve_like_brute(best, lambda: case.solve(solver=solver), tolerance=1e-4)
    if plan is None:
        return
    assert plan.served_need == pytest.approx(best, abs=1e-3)
    check_staffing_plan(plan, case)


@FEW
@given(case=staffing_case(), which=st.integers(0, 1), more=st.integers(1, 2))
def test_staffing_served_never_falls_with_more_advisors(case, which, more):
    from coverage.inputs.partners import Partner

    which = min(which, len(case.partners) - 1)
    assume(case.brute() is not None)
    richer = list(case.partners)
    p = richer[which]
    richer[which] = Partner(p.name, p.advisors + more, p.slots_per_advisor, p.people_per_slot_month)
    before = case.solve()
    after = case.solve(tuple(richer))
    assert after.served_need >= before.served_need - 1e-6
    assert after.served_need == pytest.approx(case.brute(tuple(richer)), abs=1e-3)


@FEW
@given(case=staffing_case(), fraction=st.sampled_from([0.0, 0.3, 0.6, 1.0]))
def test_staffing_min_advisors_equals_brute_force(case, fraction):
    most = case.brute()
    assume(most is not None)
    target = float(np.floor(most * fraction))
    best = case.brute_min_advisors(target)
    assert best is not None  # the allocation reaching `most` serves any smaller target
    plan = case.solve(objective="min_advisors", target=target)
    assert plan.status == "optimal"
    assert plan.sense == "min"
    assert plan.objective == pytest.approx(best)
    assert plan.served_need >= target - 1e-4
    check_staffing_plan(plan, case)
    per_advisor = {p.name: p.slots_per_advisor for p in case.partners}
    used = plan.slots.groupby("partner")["slots"].sum()
    assert sum(-(-int(v) // per_advisor[k]) for k, v in used.items()) <= best
