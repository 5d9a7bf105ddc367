"""Rendering: what the warehouse holds, drawn for people (the HTML report and its map)."""
