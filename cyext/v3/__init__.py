"""Uniswap V3 math, one module per Solidity library (each picks its Cython kernel or twin)."""
