"""Build ``corpus/divisions.csv`` from python-stdnum's ``stdnum/cn/loc.dat``.

    .venv/bin/python scripts/build_divisions.py

``loc.dat`` lists the GB/T 2260 administrative-division codes with their
names and the years each name was in use (``[1983-1999]郊区,[2000-]赛罕区``),
transcribed by python-stdnum from the Chinese Wikipedia tables of the codes.
Each name becomes one row with its years; grouping placeholders (市辖区, 县,
省直辖县级行政区划 …) are not places and are left out.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import stdnum

SOURCE = Path(stdnum.__file__).resolve().parent / "cn" / "loc.dat"
OUT = Path(__file__).resolve().parent.parent / "corpus" / "divisions.csv"
PLACEHOLDERS = {"市辖区", "县", "市区", "省直辖县级行政区划", "自治区直辖县级行政区划",
                "省直辖行政单位", "直辖县级行政区划"}
_ENTRY = re.compile(r"^(?:\[(?P<from>\d{4})?-(?P<until>\d{4})?\])?(?P<name>.+)$")


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def rows() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    province = ""
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        sub, _, names = line.strip().partition(" county=")
        code = province + sub
        for entry in names.strip('"').split(","):
            m = _ENTRY.match(entry.strip())
            if not m or m["name"] in PLACEHOLDERS:
                continue
            level = _level(code)
            out.append({
                "code": code, "name": m["name"], "level": level,
                "province_code": province + "0000",
                "city_code": code[:4] + "00" if level == "county" else "",
                "from": m["from"] or "", "until": m["until"] or "",
            })
    return out


def main() -> None:
    data = rows()
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)
    print(f"{len(data)} rows -> {OUT}")


if __name__ == "__main__":
    main()
