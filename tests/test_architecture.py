"""The packages import only what docs/architecture.md says they may, read from their source with
`ast`; flows/ holds Prefect code only; read-only commands never import Prefect."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

OURS = {"core", "sources", "transforms", "collect", "render", "warehouse", "flows", "cli", "bench", "tests", "tools"}
MAY_IMPORT = {
    "core": set(),
    "sources": set(),
    "transforms": {"core"},
    "collect": {"core", "transforms"},
    "warehouse": {"core", "transforms"},
    "render": {"core", "transforms", "warehouse"},
    "flows": {"core", "transforms", "collect", "render", "warehouse"},
    "cli": {"core", "transforms", "collect", "render", "warehouse", "flows"},
}
# flows/ modules that do not import Prefect themselves, and why they live there
FLOWS_HELPERS = {
    "prefect_env": "Prefect's settings, set before Prefect is imported",
    "resources": "a load flow run's process pool and writer, shared by its tasks",
    "local_server": "the data directory's Prefect server: found or started before Prefect is imported",
}
PURE = ("core", "sources", "transforms", "collect", "render", "warehouse")


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute imports; relative ones are not used here)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_the_packages_below_it(package: str) -> None:
    allowed = MAY_IMPORT[package] | {package}
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in imports(path)
        if name.split(".")[0] in OURS and name.split(".")[0] not in allowed
    )
    assert wrong == [], "see docs/architecture.md"


@pytest.mark.parametrize("package", PURE)
def test_only_flows_and_cli_use_prefect(package: str) -> None:
    wrong = [str(p.relative_to(ROOT)) for p in modules(package) if any(n.split(".")[0] == "prefect" for n in imports(p))]
    assert wrong == []


def test_every_flows_module_is_prefect_code() -> None:
    for path in modules("flows"):
        if path.stem == "__init__":
            continue
        names = imports(path)
        uses_prefect = any(n.split(".")[0] in ("prefect", "prefect_dask") for n in names)
        runs_flows = any(n.startswith("flows.") and n.endswith("_flow") for n in names)  # flows/jobs.py
        where = path.relative_to(ROOT)
        assert uses_prefect or runs_flows or path.stem in FLOWS_HELPERS, f"{where} has no Prefect code: move it out of flows/"
    users = {
        str(path.relative_to(ROOT))
        for package in MAY_IMPORT
        if package not in ("flows", "cli")
        for path in modules(package)
        if any(n.startswith("flows") for n in imports(path))
    }
    assert users == set()


def test_the_architecture_doc_names_every_package() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    for package in MAY_IMPORT:
        assert f"`{package}/`" in doc, package
    assert all((ROOT / p / "__init__.py").exists() for p in MAY_IMPORT)


def test_the_test_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom warehouse.writer import LakeWriter\nif True:\n    import flows.jobs\n", encoding="utf-8")
    assert {"warehouse.writer", "flows.jobs"} <= imports(bad)


READ_ONLY = [
    ("sql", "select count(*) from articles"),
    ("search", "قسد"),
    ("report",),
    ("status",),
    ("extract", str(SAMPLES / "html" / "enab_campaign_raqqa.html")),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=[c[0] for c in READ_ONLY])
def test_read_only_commands_never_import_prefect(command: tuple[str, ...], tmp_path: Path) -> None:
    from tests.test_warehouse_helpers import arabic_body, doc, load
    from warehouse.paths import LakePaths

    data = tmp_path / "data"
    load(LakePaths(data), [[doc("a.txt", arabic_body(1))]])
    code = (
        "import sys\nfrom cli.main import main\n"
        f"code = main(['--data-dir', {str(data)!r}, *{list(command)!r}])\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT', code, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    last = proc.stderr.strip().splitlines()[-1]
    assert last == "NO-PREFECT 0", proc.stderr
