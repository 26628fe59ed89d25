"""arbstream's exception tree.

ArbstreamError
├── ConfigError(ValueError)            bad or missing settings, raised at start
├── RuntimeStackError(RuntimeError)    a local part (broker, Anvil, chDB) failed to start or stop
├── SchemaError(ValueError)            an event that does not match its versioned schema
├── PricingError(ArithmeticError)      defined in arbstream.cyext.errors, carries the revert reason
├── ChainError(RuntimeError)           RPC / contract failures, carries chain id and tx
└── ExecutionError(RuntimeError)       the executor refused or failed an opportunity

Concrete errors also inherit the matching builtin (as web3.py does) so callers can catch
either, and carry their context as attributes.
"""

from __future__ import annotations


class ArbstreamError(Exception):
    """Base of every error raised by arbstream."""


class ConfigError(ArbstreamError, ValueError):
    """Settings are missing or invalid."""


class RuntimeStackError(ArbstreamError, RuntimeError):
    """A local part of the stack did not start, did not become ready, or died."""


class SchemaError(ArbstreamError, ValueError):
    """A record does not decode into its versioned schema."""

    def __init__(self, message: str, *, schema: str = "", source: str = "") -> None:
        super().__init__(f"{message} (schema={schema or '?'}, source={source or '?'})")
        self.schema = schema
        self.source = source


class ChainError(ArbstreamError, RuntimeError):
    """A JSON-RPC call or a contract interaction failed."""

    def __init__(self, message: str, *, chain_id: int | None = None, tx: str | None = None) -> None:
        ctx = ", ".join(f"{k}={v}" for k, v in (("chain", chain_id), ("tx", tx)) if v is not None)
        super().__init__(f"{message} ({ctx})" if ctx else message)
        self.chain_id = chain_id
        self.tx = tx


class ExecutionError(ArbstreamError, RuntimeError):
    """The executor could not execute an opportunity (a chain call failed mid-way); the
    executor records it as a ``failed`` execution and goes on with the next one."""

    def __init__(
        self, message: str, *, chain_id: int | None = None, opportunity_id: str | None = None
    ) -> None:
        ctx = ", ".join(
            f"{k}={v}"
            for k, v in (("chain", chain_id), ("opportunity", opportunity_id))
            if v is not None
        )
        super().__init__(f"{message} ({ctx})" if ctx else message)
        self.chain_id = chain_id
        self.opportunity_id = opportunity_id
