"""The shape of the test suite: a test module takes its builders from its folder's factories module or
conftest.py, never from another test module (importing one runs its tests' module code twice and ties
two test files together; the builder belongs where every test can find it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = (ROOT / "tests", ROOT / "bench" / "tests")

# Imports of a test module kept for now, each in a file being rewritten elsewhere; remove an entry
# when its import goes.
KNOWN: set[tuple[str, str]] = set()


def imported_paths(path: Path, source: str) -> Iterator[Path]:
    """The files of the repository that `source`, the text of `path`, imports from (modules, or
    modules named in a `from package import module`), whether they exist or not."""
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ROOT.joinpath(*alias.name.split(".")).with_suffix(".py")
        elif isinstance(node, ast.ImportFrom):
            base = path.parents[node.level - 1] if node.level else ROOT
            module = base.joinpath(*node.module.split(".")) if node.module else base
            yield module.with_suffix(".py")
            for alias in node.names:
                yield (module / alias.name).with_suffix(".py")


def imported_test_modules(path: Path, source: str) -> set[str]:
    return {
        str(target.relative_to(ROOT))
        for target in imported_paths(path, source)
        if target.name.startswith("test_") and target.is_file() and target != path
    }


def test_no_test_module_imports_another() -> None:
    found = {
        (str(path.relative_to(ROOT)), imported)
        for suite in SUITES
        for path in sorted(suite.rglob("*.py"))
        for imported in imported_test_modules(path, path.read_text())
    }

    assert found - KNOWN == set(), "import builders from the folder's factories module or conftest.py"


def test_the_check_sees_absolute_relative_and_package_imports() -> None:
    source = (
        "from tests.vendors.test_bids import bid_body\n"
        "from . import test_awards\n"
        "from .test_ocds import feed\n"
        "import tests.vendors.test_payments\n"
        "from tests.vendors.factories import certify\n"
        "from .conftest import clock\n"
    )

    assert imported_test_modules(ROOT / "tests" / "vendors" / "test_probe.py", source) == {
        "tests/vendors/test_bids.py",
        "tests/vendors/test_awards.py",
        "tests/vendors/test_ocds.py",
        "tests/vendors/test_payments.py",
    }
