"""Shared fixtures: each real part is started once per test run.

- ``stack``: the tansu broker and Anvil chains 1 and 56 (1 s blocks) with the default
  market deployed (two Uniswap V2 DEXes, tokens, FlashArb) - the same stack the demo uses.
  Started once per run; each test gets its chains at the deployed state (snapshot/revert).
- ``unique``: a unique suffix for topics, consumer groups, app ids and databases, so
  tests sharing the broker never see each other's records.

Order: pytest-randomly shuffles the tests and reseeds ``random`` before each one (the seed is
printed in the header; rerun with ``-p randomly --randomly-seed=N``). Hypothesis keeps its own
random source, so the order seed does not fix its examples: ``ARBSTREAM_HYPOTHESIS_PROFILE=ci``
(set by ``.ci/run``) derandomizes the property tests, so CI runs the same examples on every
clone and under every order seed, and a red run reproduces; local runs draw new examples each
time and keep exploring (``print_blob`` prints how to replay a failure).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from arbstream.config import Settings, TopicsConfig
from arbstream.localstack.stack import LocalStack
from tests.integration.chain_snapshot import restored

_counter = itertools.count()

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
# `make mutate`: every mutant re-runs the property tests, so fewer, fixed examples (a test's own
# larger max_examples is capped to this by tests/mutation/hypothesis_cap.py in those runs)
settings.register_profile("mutate", derandomize=True, max_examples=10, deadline=None)
settings.load_profile(os.environ.get("ARBSTREAM_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def unique() -> str:
    return f"t{os.getpid()}x{next(_counter)}x{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("arbstream")


@pytest.fixture(scope="session")
async def session_stack(run_dir: Path) -> AsyncIterator[LocalStack]:
    local = LocalStack(run_dir / "stack", chain_ids=(1, 56), block_time=1.0)
    local.start_processes()  # from the main thread: children die with it
    try:
        await local.deploy()
        yield local
    finally:
        local.close()


@pytest.fixture
def stack(session_stack: LocalStack) -> Iterator[LocalStack]:
    """The session's stack, its chains reverted after each test to the state it started on
    (``evm_snapshot``/``evm_revert``): tests that trade on it pass in any order."""
    urls = [session_stack.nodes[c].http_url for c in session_stack.chain_ids]
    with restored(*urls):
        yield session_stack


def settings_for(stack: LocalStack, run_dir: Path, unique: str, **overrides: object) -> Settings:
    """Settings on the shared stack with topics, app id and database unique to one test."""
    topics = TopicsConfig.prefixed(unique, partitions=2)
    base = Settings(
        app_id=f"arbstream-{unique}",
        data_dir=run_dir / unique,
        clickhouse_dsn=f"chdb://{run_dir / unique / 'chdb'}",
        clickhouse_database=f"db_{unique}",
        topics=topics,
        **overrides,  # type: ignore[arg-type]
    )
    return stack.settings(base)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's shared real-world data (../shared/data beside the checkout)."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        raise FileNotFoundError(f"shared data not found at {path}")
    return path


@pytest.fixture(autouse=True)
def _no_leaked_env() -> Iterator[None]:
    before = os.environ.get("ARBSTREAM_CONFIG")
    yield
    if before is None:
        os.environ.pop("ARBSTREAM_CONFIG", None)
    else:
        os.environ["ARBSTREAM_CONFIG"] = before
