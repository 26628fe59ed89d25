from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from arbstream.config import TopicsConfig, load_settings, settings_to_json
from arbstream.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_example_config_loads() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.chains[0].chain_id == 1
    assert settings.chains[0].weth == "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
    assert not settings.executor.armed


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBSTREAM_TOPICS__PARTITIONS", "7")
    monkeypatch.setenv("ARBSTREAM_EXECUTOR__ARMED", "true")
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.topics.partitions == 7
    assert settings.executor.armed


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"broker_url": "localhost:9092"}, "broker_url"),
        ({"clickhouse_dsn": "mysql://x"}, "clickhouse_dsn"),
        ({"topics": {"partitions": 0}}, "topics.partitions"),
        (
            {
                "chains": [
                    {
                        "chain_id": 1,
                        "name": "e",
                        "ws_url": "http://x",
                        "http_url": "http://x",
                        "weth": "0x" + "1" * 40,
                    }
                ]
            },
            "chains.0.ws_url",
        ),
        (
            {
                "chains": [
                    {
                        "chain_id": 1,
                        "name": "e",
                        "ws_url": "ws://x",
                        "http_url": "http://x",
                        "weth": "0x12",
                    }
                ]
            },
            "chains.0.weth",
        ),
    ],
)
def test_bad_values_are_named(overrides: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        load_settings(**overrides)


def test_bad_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("broker_url = [")
    with pytest.raises(ConfigError, match="not valid"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")


def test_secrets_are_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBSTREAM_EXECUTOR__PRIVATE_KEY", "0x" + "ab" * 32)
    settings = load_settings()
    assert settings.executor.private_key is not None
    text = settings_to_json(settings)
    assert "ab" * 32 not in text and "private_key" not in json.loads(text)["executor"]
    assert "ab" * 32 not in repr(settings)


def test_loading_a_file_leaves_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBSTREAM_CONFIG", raising=False)
    before = dict(os.environ)
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.chains and dict(os.environ) == before
    assert load_settings().chains == []  # the next load does not see the earlier file


def test_prefixed_topics_are_every_topic_under_the_prefix() -> None:
    topics = TopicsConfig.prefixed("run7", partitions=3)
    assert topics.all() == [f"run7.{name}" for name in TopicsConfig().all()]
    assert topics.partitions == 3
