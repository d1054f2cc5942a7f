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
