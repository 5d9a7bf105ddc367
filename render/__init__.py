"""What people read: the HTML report, query output (table, csv, json), run summaries, the dry-run
view of `news-etl extract`, progress bars. Imports core, transforms and warehouse."""
