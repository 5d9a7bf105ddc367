"""The `news-etl` command line (cli/main.py). Read-only commands never import Prefect."""
