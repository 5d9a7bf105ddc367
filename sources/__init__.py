"""The source registry's data: one folder per outlet (`<id>/source.yaml`, `<id>/pages/`).

Read through transforms/registry.py; no code lives here. How to add a source: docs/architecture.md.
"""
