"""House rules read from the code, run by `make lint`: what the kernel owns stays in the kernel.

- No `commit()` in a service: the unit of work commits at the request's edge (services/common/unit_of_work.py).
- No hand-made version bump or `updated_at` stamp in a service: `TrackedTable` stamps them
  (services/common/records.py). Seeding and demo loaders, which bulk-load whole histories, are exempt.
- No bare `APIRouter` in a service: routers are made with `service_router`, so their writes run in the
  unit of work.

Prints each breach as `path:line: rule` and exits 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "services" / "common"
LOADERS = ("seeding", "demo.py")

RULES: list[tuple[str, re.Pattern[str], bool]] = [
    # (rule, pattern, applies to loaders too)
    ("commit() outside the kernel: the unit of work commits", re.compile(r"\.commit\(\)"), True),
    (
        "hand-made version bump: use TrackedTable",
        re.compile(r"\bversion\b\W*[:=]\s*.*\bversion\W*\+\s*1"),
        False,
    ),
    (
        "hand-made updated_at stamp: use TrackedTable",
        re.compile(r"[\"']updated_at[\"']\s*:|\bupdated_at\s*=\s*(now|utcnow)"),
        False,
    ),
    ("bare APIRouter in a service: use service_router", re.compile(r"\bAPIRouter\("), True),
]


def breaches(path: Path) -> list[str]:
    relative = path.relative_to(ROOT)
    is_loader = any(part in LOADERS for part in relative.parts)
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        code = line.split("#", 1)[0]
        for rule, pattern, everywhere in RULES:
            if (everywhere or not is_loader) and pattern.search(code):
                found.append(f"{relative}:{number}: {rule}")
    return found


def main() -> int:
    found = [
        breach
        for path in sorted((ROOT / "services").rglob("*.py"))
        if KERNEL not in path.parents
        for breach in breaches(path)
    ]
    print("\n".join(found) if found else "house rules: nothing to report")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
