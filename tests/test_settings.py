"""Settings: defaults, parsing from the environment, clear errors, and the README table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dashboard.settings import Settings, SettingsError, settings_table_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
VARIABLES = [f.metadata["env"] for f in dataclasses.fields(Settings)]
PROBLEMS_FILE = Path(__file__).resolve().parent / "data" / "problems" / "problems.geojson"


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.data == Path("data/gridboard.gpkg")
    assert (settings.host, settings.port) == ("127.0.0.1", 8050)
    assert (settings.cache_type, settings.cache_timeout) == ("SimpleCache", 300)
    assert (settings.language, settings.tiles, settings.debug) == ("zh", "none", False)


def test_every_field_has_a_variable_and_help() -> None:
    for f in dataclasses.fields(Settings):
        assert f.metadata["env"] == "GRIDBOARD_" + f.name.upper()
        assert f.metadata["help"].strip()
        assert f.default is not dataclasses.MISSING
    assert len(set(VARIABLES)) == len(VARIABLES)


def test_reads_every_variable() -> None:
    environ = {
        "GRIDBOARD_DATA": "/srv/jining.gpkg",
        "GRIDBOARD_HOST": "0.0.0.0",
        "GRIDBOARD_PORT": "9000",
        "GRIDBOARD_CACHE_TYPE": "FileSystemCache",
        "GRIDBOARD_CACHE_DIR": "/var/cache/gridboard",
        "GRIDBOARD_REDIS_URL": "redis://cache:6379/1",
        "GRIDBOARD_CACHE_TIMEOUT": "0",
        "GRIDBOARD_LANGUAGE": "en",
        "GRIDBOARD_TILES": "tianditu",
        "GRIDBOARD_TIANDITU_KEY": "k123",
        "GRIDBOARD_PROBLEMS": str(PROBLEMS_FILE),
        "GRIDBOARD_DEBUG": "Yes",
    }
    settings = Settings.from_env(environ)
    assert settings == Settings(
        data=Path("/srv/jining.gpkg"),
        host="0.0.0.0",
        port=9000,
        cache_type="FileSystemCache",
        cache_dir=Path("/var/cache/gridboard"),
        redis_url="redis://cache:6379/1",
        cache_timeout=0,
        language="en",
        tiles="tianditu",
        tianditu_key="k123",
        problems=PROBLEMS_FILE,
        debug=True,
    )


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOARD_PORT", "8123")
    assert Settings.from_env().port == 8123


def test_empty_variable_counts_as_unset() -> None:
    assert Settings.from_env({"GRIDBOARD_PORT": "", "GRIDBOARD_LANGUAGE": ""}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GRIDBOARD_PORT", "abc", "GRIDBOARD_PORT='abc' is not a port number (1-65535)"),
        ("GRIDBOARD_PORT", "0", "GRIDBOARD_PORT='0' is not a port number (1-65535)"),
        ("GRIDBOARD_PORT", "65536", "GRIDBOARD_PORT='65536' is not a port number"),
        ("GRIDBOARD_CACHE_TYPE", "simple", "GRIDBOARD_CACHE_TYPE='simple' is not one of"),
        ("GRIDBOARD_CACHE_TYPE", "filesystem", "GRIDBOARD_CACHE_TYPE='filesystem'"),
        ("GRIDBOARD_CACHE_TYPE", "RedisCache", "GRIDBOARD_CACHE_TYPE='RedisCache' is chosen by"),
        ("GRIDBOARD_REDIS_URL", "localhost:6379", "GRIDBOARD_REDIS_URL=(not shown: a secret) is"),
        ("GRIDBOARD_WORKERS", "0", "GRIDBOARD_WORKERS='0' is not a whole number (1 or more)"),
        ("GRIDBOARD_CACHE_TIMEOUT", "-1", "GRIDBOARD_CACHE_TIMEOUT='-1' is not a whole number"),
        ("GRIDBOARD_CACHE_TIMEOUT", "5m", "GRIDBOARD_CACHE_TIMEOUT='5m'"),
        ("GRIDBOARD_LANGUAGE", "fr", "GRIDBOARD_LANGUAGE='fr' is not one of zh, en"),
        ("GRIDBOARD_TILES", "google", "GRIDBOARD_TILES='google' is not one of"),
        ("GRIDBOARD_DEBUG", "maybe", "GRIDBOARD_DEBUG='maybe' is not a yes/no value"),
    ],
)
def test_bad_value_names_variable_and_value(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_tianditu_tiles_need_a_key() -> None:
    with pytest.raises(SettingsError, match="GRIDBOARD_TIANDITU_KEY"):
        Settings.from_env({"GRIDBOARD_TILES": "tianditu"})


def test_overrides_win_over_environment() -> None:
    settings = Settings.from_env({"GRIDBOARD_PORT": "9000"}, port=9100, language="en")
    assert (settings.port, settings.language) == (9100, "en")


def test_string_overrides_are_parsed_like_variables() -> None:
    assert Settings.from_env({}, port="9200", debug="on").port == 9200
    with pytest.raises(SettingsError, match="GRIDBOARD_PORT='x'"):
        Settings.from_env({}, port="x")


def test_bad_override_value_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="GRIDBOARD_PORT=70000"):
        Settings.from_env({}, port=70000)


def test_unknown_override_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="colour"):
        Settings.from_env({}, colour="red")


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


def test_secrets_stay_out_of_repr() -> None:
    settings = Settings.from_env(
        {"GRIDBOARD_TILES": "tianditu", "GRIDBOARD_TIANDITU_KEY": "s3cr3t"}
    )
    assert "s3cr3t" not in repr(settings)


def test_table_lists_every_variable_once() -> None:
    table = settings_table_markdown()
    lines = table.strip().splitlines()
    assert lines[0] == "| variable | default | meaning |"
    assert len(lines) == 2 + len(VARIABLES)
    for variable, line in zip(VARIABLES, lines[2:], strict=True):
        assert line.startswith(f"| `{variable}` |")


def test_readme_documents_every_variable() -> None:
    assert README.exists(), "README.md is missing: paste settings_table_markdown() into it"
    text = README.read_text(encoding="utf-8")
    missing = [v for v in VARIABLES if v not in text]
    assert not missing, f"README.md lacks {missing}: paste settings_table_markdown() into it"


def test_problems_file_is_optional_and_read_when_set(tmp_path: Path) -> None:
    assert Settings.from_env({}).problems is None
    settings = Settings.from_env({"GRIDBOARD_PROBLEMS": str(PROBLEMS_FILE)})
    assert settings.problems == PROBLEMS_FILE
    # not written yet by `gridboard validate --out`: fine, the map just offers no layer
    later = tmp_path / "problems.geojson"
    assert Settings.from_env({"GRIDBOARD_PROBLEMS": str(later)}).problems == later


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a JSON file"),
        (b'{"type": "FeatureCollection"', "not a JSON file"),
        (b"\xff\xfe\x00garbage", "not a JSON file"),
        (b'{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": {}}', "no list of features"),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature",'
            b' "properties": {}, "geometry": {"type": "Polygon", "coordinates": 5}}]}',
            "feature 1 has a bad geometry",
        ),
    ],
)
def test_bad_problems_file_is_a_settings_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "problems.geojson"
    path.write_bytes(content)
    with pytest.raises(SettingsError, match=f"GRIDBOARD_PROBLEMS=.*{message}"):
        Settings.from_env({"GRIDBOARD_PROBLEMS": str(path)})


def test_problems_path_that_cannot_be_a_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="folder that does not exist"):
        Settings.from_env({"GRIDBOARD_PROBLEMS": str(tmp_path / "no" / "problems.geojson")})
    with pytest.raises(SettingsError, match="is a folder"):
        Settings.from_env({"GRIDBOARD_PROBLEMS": str(tmp_path)})


def test_unreadable_problems_file(tmp_path: Path) -> None:
    import os

    path = tmp_path / "problems.geojson"
    path.write_bytes(PROBLEMS_FILE.read_bytes())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: every file is readable")
        with pytest.raises(SettingsError, match="cannot be read"):
            Settings.from_env({"GRIDBOARD_PROBLEMS": str(path)})
    finally:
        path.chmod(0o644)


def test_a_bad_secret_is_named_but_never_shown() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GRIDBOARD_REDIS_URL": "http://gridboard:hunter2@cache:6379/0"})
    assert "GRIDBOARD_REDIS_URL" in str(caught.value) and "hunter2" not in str(caught.value)
    assert "is not a Redis URL" in str(caught.value)
    with pytest.raises(SettingsError) as direct:
        Settings(redis_url="http://gridboard:hunter2@cache:6379/0")
    assert "hunter2" not in str(direct.value)
