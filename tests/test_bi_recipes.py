"""The README's ways to open the lake without news-etl, run exactly as printed (taken from the
README by their markers), in other processes, before and after a nightly run: each one sees the
night's new articles. The only change made to a snippet is the placeholder path of the
SQLAlchemy recipe (/srv/news-etl/data), replaced by the test's data directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SEEDS, Cli

pytestmark = pytest.mark.slow

PLACEHOLDER = "/srv/news-etl/data"
INSTALL = "import duckdb_extensions; duckdb_extensions.import_extension('ducklake')"


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    m = re.search(rf"<!-- bi: {re.escape(marker)} -->\n```\w+\n(.*?)\n```", text, re.DOTALL)
    assert m, f"README has no block marked bi: {marker}"
    return m[1]


def run_python(code: str, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


SQL_RUNNER = """
import json, sys, duckdb
con = duckdb.connect()
rows = None
for statement in con.extract_statements(sys.stdin.read()):
    rows = con.execute(statement.query).fetchall()
print(json.dumps(sorted([list(r) for r in rows])))
"""

# a long-lived process, like a dashboard server: the engine is built once (the README's block),
# then the README's query block runs whenever a line arrives on stdin
SERVER = """
import json, sys
engine_code, query_code = json.loads(sys.stdin.readline())
scope = {}
exec(engine_code, scope)
import sqlalchemy as sa
pooled = sa.create_engine("duckdb:///ducklake:" + scope["LAKE"], connect_args={"read_only": True})
held = pooled.connect()  # another connection to the lake, open across the night
def pooled_count():
    return held.execute(sa.text("SELECT count(*) FROM articles")).scalar()
for line in sys.stdin:
    import io, contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(query_code, scope)
    print(json.dumps({"readme": out.getvalue().strip(), "pooled": pooled_count()}), flush=True)
"""


def counts(printed: str) -> dict[str, int]:
    """{source_id: articles} from a printed list of (source_id, count) tuples."""
    return {str(s): int(n) for s, n in json.loads(printed.replace("(", "[").replace(")", "]").replace("'", '"'))}


def test_the_readme_recipes_see_each_night(cli: Cli, tmp_path: Path) -> None:
    assert cli.data_dir == tmp_path / "data"  # the README's relative paths: data/ in the working folder
    env = {**os.environ, "HOME": str(tmp_path / "bi-home")}  # the BI host's own extension folder
    (tmp_path / "bi-home").mkdir()
    run_python(INSTALL, tmp_path, env)  # "install the extension once per machine"
    res = cli("load", str(SEEDS[0]))
    assert res.code == 0, res.stderr

    sql = readme_block("duckdb-sql")
    python = readme_block("duckdb-python")
    engine_code = readme_block("sqlalchemy-engine")
    query_code = readme_block("sqlalchemy-query")
    assert PLACEHOLDER in engine_code
    engine_code = engine_code.replace(PLACEHOLDER, str(cli.data_dir))

    def sql_counts() -> dict[str, int]:
        proc = subprocess.run([sys.executable, "-c", SQL_RUNNER], input=sql, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        return {str(s): int(n) for s, n in json.loads(proc.stdout)}

    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=tmp_path, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps([engine_code, query_code]) + "\n")

        def ask() -> dict[str, Any]:
            assert server.stdin is not None and server.stdout is not None
            server.stdin.write("query\n")
            server.stdin.flush()
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "the recipe process died"
            return dict(json.loads(line))

        before = ask()
        assert sum(counts(before["readme"]).values()) == 1 and before["pooled"] == 1
        assert sum(sql_counts().values()) == 1
        assert sum(counts(run_python(python, tmp_path, env)).values()) == 1

        # a nightly run (the nightly flow, as `news-etl run` and the deployment run it) adds four articles
        inputs = tmp_path / "tonight"
        inputs.mkdir()
        for seed in SEEDS[1:]:
            (inputs / seed.name).write_bytes(seed.read_bytes())
        config = tmp_path / "news-etl.yaml"
        config.write_text("inputs: [tonight]\n", encoding="utf-8")
        res = cli("run", "--config", str(config))
        assert res.code == 0, res.stderr
        total = int(str(cli.sql_json("select count(*) n from articles")[0]["n"]))
        assert total == len(SEEDS)

        after = ask()  # the same engine, built before the night
        assert sum(counts(after["readme"]).values()) == total, after
        assert after["pooled"] == 1  # why the README says NullPool: a pooled connection keeps its night
        assert sum(sql_counts().values()) == total
        assert sum(counts(run_python(python, tmp_path, env)).values()) == total
    finally:
        server.kill()
        server.wait()
