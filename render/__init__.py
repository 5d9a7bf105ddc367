"""What people read: the HTML report (with its map of Syria's governorates), query output (table,
csv, json), run summaries, the dry-run view of `news-etl extract`, progress bars. Imports core,
transforms and warehouse."""
