"""Token values for ranking and thresholds, and gas cost in start-token units.

Amounts stay exact integers; USD figures are derived floats for analytics and for
thresholds only. Gas (paid in the native token) is converted into the start token at
the reserves of the deepest pool against the wrapped native token, else at the
configured reference USD prices.
"""

from __future__ import annotations

from fractions import Fraction

from arbstream.config import ChainConfig


class Valuation:
    def __init__(self, chain: ChainConfig) -> None:
        self.chain = chain
        self.weth = chain.weth
        self.tokens = {t.address: t for t in chain.tokens}

    def symbol(self, token: str) -> str:
        t = self.tokens.get(token)
        return t.symbol if t else token[:10]

    def decimals(self, token: str) -> int:
        t = self.tokens.get(token)
        return t.decimals if t else 18

    def usd(self, token: str, amount: int) -> float:
        t = self.tokens.get(token)
        if t is None or not t.usd_price:
            return 0.0
        return amount / 10**t.decimals * t.usd_price

    def gas_in_token(
        self, gas_cost_wei: int, token: str, native_reserves: tuple[int, int] | None = None
    ) -> int | None:
        """Gas cost in ``token`` units, rounded up; None when no price is known."""
        if token == self.weth or gas_cost_wei == 0:
            return gas_cost_wei
        if native_reserves and native_reserves[1] > 0:
            r_token, r_native = native_reserves
            return -(-gas_cost_wei * r_token // r_native)
        native = self.tokens.get(self.weth)
        t = self.tokens.get(token)
        if native is None or t is None or not native.usd_price or not t.usd_price:
            return None
        # reference prices: the configured floats taken exactly, the product rounded up
        rate = Fraction(native.usd_price) / Fraction(t.usd_price)
        exact = gas_cost_wei * rate * 10**t.decimals / 10**native.decimals
        return -(-exact.numerator // exact.denominator)
