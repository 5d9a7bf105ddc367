"""The nightly job's config file: `load:` settings are checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import ConfigError, load_config


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "news-etl.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_known_load_settings_pass_through(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "inputs: [a]\nload:\n  batch_size: 50\n  workers: 1\n  html_fallback: true\n"))
    assert cfg.load == {"batch_size": 50, "workers": 1, "html_fallback": True}
    assert cfg.inputs == [str((tmp_path / "a").resolve())]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("load:\n  batchsize: 50\n", "unknown setting 'load.batchsize'"),
        ("load:\n  html_fallback: yes please\n", "'load.html_fallback' in"),
        ("load:\n  workers: 0\n", "must be a whole number >= 1"),
        ("load:\n  batch_size: true\n", "must be a whole number >= 1"),
        ("load: [1, 2]\n", "'load' in"),
    ],
)
def test_bad_load_settings_are_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        load_config(write(tmp_path, body))
