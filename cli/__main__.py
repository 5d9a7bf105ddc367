"""`python -m cli`: the same as the `news-etl` command."""

import sys

from cli.main import main

sys.exit(main())
