"""Settings: one frozen object per process, read from a file and the environment.

Sources, highest priority first: keyword arguments, environment variables with the
``ARBSTREAM_`` prefix (nested fields with ``__``, e.g. ``ARBSTREAM_EXECUTOR__ARMED=1``),
then the config file named by ``--config`` or ``ARBSTREAM_CONFIG`` (TOML or JSON).
Validated at start: a bad value fails with a message naming the setting.
"""

from __future__ import annotations

import json
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from arbstream.errors import ConfigError

CONFIG_ENV = "ARBSTREAM_CONFIG"

#: process role -> offset added to ``metrics_port``, so processes on one host never clash
METRICS_ROLE_OFFSETS: dict[str, int] = {"ingest": 0, "streams": 1, "executor": 2, "sink": 3}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _address(value: str) -> str:
    if not (isinstance(value, str) and value.startswith("0x") and len(value) == 42):
        raise ValueError(f"not a 20-byte hex address: {value!r}")
    int(value, 16)
    return value.lower()


class TokenConfig(_Frozen):
    symbol: str
    address: str
    decimals: int = Field(ge=0, le=36)
    #: reference USD price, only for derived analytics (never for amounts)
    usd_price: float = Field(default=0.0, ge=0)

    _check_address = field_validator("address")(_address)


class DexConfig(_Frozen):
    name: str
    factory: str
    router: str | None = None
    fee_bps: int = Field(default=30, ge=0, lt=10_000)

    _check_factory = field_validator("factory")(_address)


#: the deepest reorg the ingestor undoes (blocks of history it keeps to retract events)
MAX_REORG_DEPTH = 128


class ChainConfig(_Frozen):
    chain_id: int = Field(gt=0)
    name: str
    ws_url: str
    http_url: str
    weth: str
    dexes: list[DexConfig] = Field(default_factory=list)
    tokens: list[TokenConfig] = Field(default_factory=list)
    #: our FlashArb contract on this chain (the executor's only target)
    arb_contract: str | None = None
    #: first block the ingestor backfills from on start
    start_block: int = Field(default=0, ge=0)
    #: gas units charged per two-leg flash arbitrage when pricing an opportunity
    arb_gas_estimate: int = Field(default=180_000, gt=0)
    priority_fee_wei: int = Field(default=1_000_000_000, ge=0)
    #: the deepest reorg expected on this chain, in blocks: the detector keeps each pool's
    #: Syncs of the last ``reorg_depth`` blocks (and the one before them) to undo retractions
    reorg_depth: int = Field(default=64, ge=1, le=MAX_REORG_DEPTH)

    _check_weth = field_validator("weth")(_address)

    @field_validator("ws_url")
    @classmethod
    def _ws(cls, v: str) -> str:
        if not v.startswith(("ws://", "wss://")):
            raise ValueError(f"ws_url must start with ws:// or wss://, got {v!r}")
        return v

    @field_validator("http_url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"http_url must start with http:// or https://, got {v!r}")
        return v

    def token(self, address: str) -> TokenConfig | None:
        address = address.lower()
        return next((t for t in self.tokens if t.address == address), None)


class TopicsConfig(_Frozen):
    blocks: str = "chain.blocks"
    pools: str = "dex.pools"
    events: str = "dex.events"
    opportunities: str = "arb.opportunities"
    executions: str = "arb.executions"
    dead_letter: str = "arbstream.dead_letter"
    partitions: int = Field(default=2, ge=1)
    replication: int = Field(default=1, ge=1)

    @classmethod
    def prefixed(cls, prefix: str, *, partitions: int = 2) -> TopicsConfig:
        """The default topic names under ``prefix.`` (tests, benches, replays of their own)."""
        names: dict[str, Any] = {
            name: f"{prefix}.{field.default}"
            for name, field in cls.model_fields.items()
            if isinstance(field.default, str)
        }
        return cls(**names, partitions=partitions)

    def all(self) -> list[str]:
        return [
            self.blocks,
            self.pools,
            self.events,
            self.opportunities,
            self.executions,
            self.dead_letter,
        ]


class DetectorConfig(_Frozen):
    #: emit only opportunities whose net profit (after gas) is at least this many USD
    min_net_profit_usd: float = 0.0
    #: and whose net profit in start-token units is positive
    require_positive_net: bool = True


class ExecutorConfig(_Frozen):
    #: live transactions are sent only when armed; otherwise simulate only
    armed: bool = False
    private_key: SecretStr | None = None
    #: opportunities older than this are rejected without a chain call
    max_age_s: float = Field(default=15.0, gt=0)
    #: required simulated net profit (USD) before sending
    min_net_profit_usd: float = 0.0
    max_gas_price_gwei: float = Field(default=500.0, gt=0)
    #: largest input per trade, in USD at reference prices (risk limit)
    max_trade_usd: float = Field(default=1_000_000.0, gt=0)
    #: stop sending after this many reverted transactions in a row
    max_consecutive_reverts: int = Field(default=5, ge=1)
    receipt_timeout_s: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ARBSTREAM_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    #: Faust/Kafka broker URL (Redpanda in production)
    broker_url: str = "kafka://127.0.0.1:9092"
    #: clickhouse-connect DSN: chdb:///path (embedded) or http://user:pass@host:8123
    clickhouse_dsn: str = "chdb:///var/lib/arbstream/chdb"
    clickhouse_database: str = "arbstream"
    app_id: str = "arbstream"
    data_dir: Path = Path(".arbstream")
    log_level: str = "INFO"
    chains: list[ChainConfig] = Field(default_factory=list)
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    sink_batch_size: int = Field(default=2000, gt=0)
    sink_flush_s: float = Field(default=0.5, gt=0)
    #: Faust consumer-group rebalance timeout; tansu waits this long for a group to join
    rebalance_timeout_s: float = Field(default=3.0, gt=0)
    #: longest a consumer fetch may wait for records (Faust's own default is 1500 ms)
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=10_000)
    #: Prometheus exporter base port: each process serves on it plus its role's offset
    #: (ingest +0, streams +1, executor +2, sink +3; see ``metrics_port_of``); 0 = disabled
    metrics_port: int = Field(default=9400, ge=0, le=65_535 - max(METRICS_ROLE_OFFSETS.values()))

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, v: str) -> str:
        if not v.startswith("kafka://"):
            raise ValueError(f"broker_url must look like kafka://host:port, got {v!r}")
        return v

    @field_validator("clickhouse_dsn")
    @classmethod
    def _dsn(cls, v: str) -> str:
        if not v.startswith(("chdb://", "http://", "https://", "clickhouse://")):
            raise ValueError("clickhouse_dsn must start with chdb://, http:// or https://")
        return v

    def metrics_port_of(self, role: str) -> int:
        """The port the process of ``role`` exports metrics on (0 when disabled)."""
        if role not in METRICS_ROLE_OFFSETS:
            raise ConfigError(
                f"unknown process role {role!r} (roles: {list(METRICS_ROLE_OFFSETS)})"
            )
        return self.metrics_port + METRICS_ROLE_OFFSETS[role] if self.metrics_port else 0

    @property
    def bootstrap_servers(self) -> str:
        return self.broker_url.removeprefix("kafka://").split(";")[0]

    def chain(self, chain_id: int) -> ChainConfig:
        for c in self.chains:
            if c.chain_id == chain_id:
                return c
        raise ConfigError(
            f"chain {chain_id} is not configured (configured: {[c.chain_id for c in self.chains]})"
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))


#: the config file of the settings being built (``load_settings``); else ARBSTREAM_CONFIG
_config_file: ContextVar[Path | None] = ContextVar("arbstream_config_file", default=None)


class _FileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _config_file.get() or os.environ.get(CONFIG_ENV)
        return read_config_file(Path(path)) if path else {}


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid {path.suffix or 'TOML'}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a table/object")
    return data


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the process's settings once, at the entry point; errors name the setting.

    ``config_file`` (else the file named by ``ARBSTREAM_CONFIG``) is read for this call
    only: the process environment is not changed."""
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid settings:\n" + "\n".join(lines)) from None
    finally:
        _config_file.reset(token)


def settings_to_json(settings: Settings, *, include_secrets: bool = False) -> str:
    """The settings as a config file (secrets left out unless asked for)."""
    data = settings.model_dump(
        mode="json", exclude={"executor": {"private_key"}} if not include_secrets else None
    )
    if include_secrets and settings.executor.private_key is not None:
        data["executor"]["private_key"] = settings.executor.private_key.get_secret_value()
    return json.dumps(data, indent=2)
