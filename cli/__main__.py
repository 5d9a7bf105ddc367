"""`python -m cli`: the same as the `news-etl` command."""

from cli.main import run

run()
