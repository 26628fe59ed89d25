"""arbstream: DEX arbitrage as a stream-processing pipeline."""

__version__ = "0.1.0"
