"""The bottom layer: the typed loader for data files and the typed settings. Imports nothing of ours."""
