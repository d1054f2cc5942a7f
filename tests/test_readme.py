"""The README's library example runs as written (file names pointed at the real files)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(sources, capsys):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    block = block.replace(
        '"laposte_poincont2_2020-12.csv"',
        repr(str(sources / "laposte_points_contact/laposte_poincont2_2020-12.csv")),
    ).replace(
        '"qpv2015_demographie_insee_DEMO_2022.csv"',
        repr(str(sources / "qpv/qpv2015_demographie_insee_DEMO_2022.csv")),
    )
    exec(compile(block, str(README), "exec"), {})
    printed = capsys.readouterr().out
    assert "17716 rows read, 17693 kept" in printed
    need, eligible = printed.strip().splitlines()[-1].split()
    assert float(need) > 0 and int(eligible) > 0


def test_readme_solving_example_runs(tmp_path, monkeypatch, capsys):
    """The ten-line solving example, on the embedded data only, in a scratch folder."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    block = next(b for b in blocks if "maximal_coverage" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "optimal"
    share = float(printed[1].split("%")[0])
    assert 0 < share < 100
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "plan.gpkg")}
    assert {"sites", "units", "kpi_department"} <= layers
    assert len(pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="sites")) == 12
