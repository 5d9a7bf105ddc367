"""The nightly job's config file and the load settings: checked once, before anything runs,
with one default per setting whichever way the settings come (command line, file, deployment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.datafile import DataFileError
from core.settings import FetchSettings, LoadSettings, default_workers, load_config


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "news-etl.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_known_load_settings_pass_through(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "inputs: [a]\nload:\n  batch_size: 50\n  workers: 1\n  html_fallback: true\n"))
    assert (cfg.load.batch_size, cfg.load.workers, cfg.load.html_fallback) == (50, 1, True)
    assert cfg.load.docs_per_slice == LoadSettings().docs_per_slice and cfg.load.runner == "process"
    assert cfg.inputs == (str((tmp_path / "a").resolve()),)


def test_defaults_live_in_one_place(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "inputs: [a]\n"))
    assert cfg.load == LoadSettings() == LoadSettings.parse({}) == LoadSettings.parse({"batch_size": None, "workers": None})
    assert LoadSettings().workers == default_workers() and LoadSettings().batch_size == 400
    assert cfg.fetch_load == LoadSettings()  # the pages a fetch collected load like everything else


def test_fetch_section_changes_only_what_it_names(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "load:\n  batch_size: 50\n  workers: 2\n  source_id: x\nfetch:\n  workers: 1\n"))
    assert cfg.fetch == FetchSettings(workers=1)
    assert (cfg.fetch_load.batch_size, cfg.fetch_load.workers, cfg.fetch_load.source_id) == (50, 1, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("load:\n  batchsize: 50\n", "load.batchsize: unknown key (did you mean 'batch_size'?)"),
        ("load:\n  html_fallback: yes please\n", "load.html_fallback: expected true or false, got the string 'yes please'"),
        ("load:\n  workers: 0\n", "load.workers: must be a whole number >= 1, not 0"),
        ("load:\n  batch_size: true\n", "load.batch_size: expected a whole number, got true"),
        ("load:\n  runner: threads\n", "load.runner: expected one of 'process', 'dask'"),
        ("load: [1, 2]\n", "load: expected a mapping with keys batch_size"),
        ("fetch:\n  delay: 2\n", "fetch.delay: unknown key"),
        ("inputs: samples\n", "inputs: expected a list of strings"),
        ("catalog: postgres:x\n", "NEWS_ETL_CATALOG"),
        ("inputs: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_settings_are_a_clear_error_naming_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(DataFileError) as err:
        load_config(path)
    assert str(err.value).startswith(path) and message in str(err.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_command_line_settings_go_through_the_same_checks() -> None:
    assert LoadSettings.parse({"workers": 3, "full": True}, "command line").full is True
    with pytest.raises(DataFileError, match=r"^command line: workers: must be a whole number >= 1, not 0$"):
        LoadSettings.parse({"workers": 0}, "command line")
    with pytest.raises(DataFileError, match="batch_size: must be a whole number >= 1"):
        LoadSettings().but(batch_size=0)
