"""Acquisition without Prefect: the HTTP client, robots.txt, WARC reading and writing, the crawl of
one source, the sources file, local inputs (discovery, planning, reading) and the worker-side
read-and-transform of a slice. Imports core and transforms only."""
