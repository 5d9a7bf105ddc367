"""A real SQLAlchemy client (duckdb-engine), as Superset/Metabase/Evidence-style tools use it,
opening the published catalog read-only and querying the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.test_warehouse_helpers import arabic_body, doc, load
from warehouse.extensions import extension_file
from warehouse.paths import LakePaths


@pytest.fixture
def extension_dir(tmp_path: Path) -> Path:
    """What `python -c "import duckdb_extensions; duckdb_extensions.import_extension('ducklake')"`
    does for a BI host (install the extension from its wheel), into a private folder."""
    folder = tmp_path / "duckdb-extensions"
    con = duckdb.connect(config={"extension_directory": str(folder)})
    con.execute(f"INSTALL '{extension_file('ducklake', con)}'")
    con.close()
    return folder


def test_sqlalchemy_reads_the_published_lake_and_marts(tmp_path: Path, extension_dir: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    load(paths, [[
        doc("a.txt", arabic_body(1), url="https://a.example/1", source_id="enab", published_at="2024-05-06T09:00:00Z"),
        doc("b.txt", arabic_body(2), url="https://a.example/2", source_id="npa", published_at="2024-05-07T09:00:00Z"),
    ]])
    # the documented connection: a URI plus read_only (Superset: "Engine Parameters")
    engine = sa.create_engine(
        f"duckdb:///ducklake:{paths.published_catalog}",
        connect_args={"read_only": True, "config": {"extension_directory": str(extension_dir)}},
        poolclass=NullPool,  # every query sees the latest published snapshot
    )
    with engine.connect() as con:
        inspector = sa.inspect(con)
        assert {"mart_articles_daily", "mart_mentions_weekly", "mart_figures_monthly"} <= set(inspector.get_view_names())
        assert {"articles", "mentions", "figures", "runs"} <= set(inspector.get_table_names())
        daily = con.execute(sa.text("SELECT source_id, day, articles FROM mart_articles_daily ORDER BY 1")).fetchall()
        assert [(r[0], str(r[1]), r[2]) for r in daily] == [("enab", "2024-05-06", 1), ("npa", "2024-05-07", 1)]
        con.execute(sa.text("SELECT * FROM mart_mentions_weekly")).fetchall()
        con.execute(sa.text("SELECT * FROM mart_figures_monthly")).fetchall()
        with pytest.raises(sa.exc.DBAPIError):
            con.execute(sa.text("DELETE FROM articles"))

    # a connection held open across a run keeps its snapshot; a new connection sees the new run
    held = engine.connect()
    load(paths, [[doc("c.txt", arabic_body(3), url="https://a.example/3", source_id="npa")]], "run-2")
    assert held.execute(sa.text("SELECT count(*) FROM articles")).scalar() == 2
    held.close()
    with engine.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM articles")).scalar() == 3
