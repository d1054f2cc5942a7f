"""A HiGHS solve runs whatever thread count an earlier solve in the process asked for."""

from __future__ import annotations

import highspy
import pytest

from coverage.models.highs_run import run_highs


def _one_binary(threads: int | None) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", threads)
    h.addVar(0.0, 1.0)
    h.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    h.changeColCost(0, -1.0)
    return h


@pytest.mark.parametrize(("first", "then"), [(None, 1), (1, None), (None, 1)])
def test_a_solve_after_another_thread_count_still_solves(first: int | None, then: int | None) -> None:
    run_highs(_one_binary(first))
    h = _one_binary(then)
    run_highs(h)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getSolution().col_value[0] == pytest.approx(1.0)
