"""ABIs and event topics used across arbstream (hand-written subsets; no build needed).

The FlashArb ABI here mirrors executor/contracts/FlashArb.sol (a test checks it against the
compiled artifact); `flash_arb_abi()` returns the compiled one.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

ABI = list[dict[str, Any]]

#: keccak256 of the UniswapV2Pair creation code; hard-coded in UniswapV2Library.pairFor.
V2_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"

SWAP_EVENT_SIGNATURE = "Swap(address,uint256,uint256,uint256,uint256,address)"
SYNC_EVENT_SIGNATURE = "Sync(uint112,uint112)"
PAIR_CREATED_EVENT_SIGNATURE = "PairCreated(address,address,address,uint256)"
TRANSFER_EVENT_SIGNATURE = "Transfer(address,address,uint256)"
ARB_EXECUTED_EVENT_SIGNATURE = "ArbExecuted(address,address,address,uint256,uint256)"


def event_topic(signature: str) -> str:
    """topic0 of an event: 0x-prefixed keccak256 of its canonical signature."""
    return "0x" + keccak(text=signature).hex()


SWAP_TOPIC = event_topic(SWAP_EVENT_SIGNATURE)
SYNC_TOPIC = event_topic(SYNC_EVENT_SIGNATURE)
PAIR_CREATED_TOPIC = event_topic(PAIR_CREATED_EVENT_SIGNATURE)
TRANSFER_TOPIC = event_topic(TRANSFER_EVENT_SIGNATURE)
ARB_EXECUTED_TOPIC = event_topic(ARB_EXECUTED_EVENT_SIGNATURE)


def _inp(name: str, typ: str, indexed: bool | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "type": typ}
    if indexed is not None:
        item["indexed"] = indexed
    return item


def _fn(
    name: str,
    inputs: list[tuple[str, str]],
    outputs: list[tuple[str, str]],
    mutability: str = "view",
) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "inputs": [_inp(n, t) for n, t in inputs],
        "outputs": [_inp(n, t) for n, t in outputs],
        "stateMutability": mutability,
    }


def _event(name: str, inputs: list[tuple[str, str, bool]]) -> dict[str, Any]:
    return {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [_inp(n, t, i) for n, t, i in inputs],
    }


ERC20_ABI: ABI = [
    _fn("name", [], [("", "string")]),
    _fn("symbol", [], [("", "string")]),
    _fn("decimals", [], [("", "uint8")]),
    _fn("totalSupply", [], [("", "uint256")]),
    _fn("balanceOf", [("account", "address")], [("", "uint256")]),
    _fn("allowance", [("owner", "address"), ("spender", "address")], [("", "uint256")]),
    _fn("transfer", [("to", "address"), ("amount", "uint256")], [("", "bool")], "nonpayable"),
    _fn("approve", [("spender", "address"), ("amount", "uint256")], [("", "bool")], "nonpayable"),
    _fn(
        "transferFrom",
        [("from", "address"), ("to", "address"), ("amount", "uint256")],
        [("", "bool")],
        "nonpayable",
    ),
    _event(
        "Transfer",
        [("from", "address", True), ("to", "address", True), ("value", "uint256", False)],
    ),
    _event(
        "Approval",
        [("owner", "address", True), ("spender", "address", True), ("value", "uint256", False)],
    ),
]

#: TestToken = ERC20 + owner-only mint.
TEST_TOKEN_ABI: ABI = [
    *ERC20_ABI,
    _fn("owner", [], [("", "address")]),
    _fn("mint", [("to", "address"), ("amount", "uint256")], [], "nonpayable"),
]

WETH_ABI: ABI = [
    *ERC20_ABI,
    _fn("deposit", [], [], "payable"),
    _fn("withdraw", [("wad", "uint256")], [], "nonpayable"),
]

V2_PAIR_ABI: ABI = [
    _fn("factory", [], [("", "address")]),
    _fn("token0", [], [("", "address")]),
    _fn("token1", [], [("", "address")]),
    _fn(
        "getReserves",
        [],
        [("reserve0", "uint112"), ("reserve1", "uint112"), ("blockTimestampLast", "uint32")],
    ),
    _fn("totalSupply", [], [("", "uint256")]),
    _fn("balanceOf", [("owner", "address")], [("", "uint256")]),
    _fn("price0CumulativeLast", [], [("", "uint256")]),
    _fn("price1CumulativeLast", [], [("", "uint256")]),
    _fn("kLast", [], [("", "uint256")]),
    _fn("mint", [("to", "address")], [("liquidity", "uint256")], "nonpayable"),
    _fn(
        "burn", [("to", "address")], [("amount0", "uint256"), ("amount1", "uint256")], "nonpayable"
    ),
    _fn(
        "swap",
        [
            ("amount0Out", "uint256"),
            ("amount1Out", "uint256"),
            ("to", "address"),
            ("data", "bytes"),
        ],
        [],
        "nonpayable",
    ),
    _fn("sync", [], [], "nonpayable"),
    _fn("skim", [("to", "address")], [], "nonpayable"),
    _event(
        "Swap",
        [
            ("sender", "address", True),
            ("amount0In", "uint256", False),
            ("amount1In", "uint256", False),
            ("amount0Out", "uint256", False),
            ("amount1Out", "uint256", False),
            ("to", "address", True),
        ],
    ),
    _event("Sync", [("reserve0", "uint112", False), ("reserve1", "uint112", False)]),
    _event(
        "Mint",
        [("sender", "address", True), ("amount0", "uint256", False), ("amount1", "uint256", False)],
    ),
    _event(
        "Burn",
        [
            ("sender", "address", True),
            ("amount0", "uint256", False),
            ("amount1", "uint256", False),
            ("to", "address", True),
        ],
    ),
]

V2_FACTORY_ABI: ABI = [
    _fn("getPair", [("tokenA", "address"), ("tokenB", "address")], [("pair", "address")]),
    _fn("allPairs", [("", "uint256")], [("pair", "address")]),
    _fn("allPairsLength", [], [("", "uint256")]),
    _fn("feeTo", [], [("", "address")]),
    _fn("feeToSetter", [], [("", "address")]),
    _fn(
        "createPair",
        [("tokenA", "address"), ("tokenB", "address")],
        [("pair", "address")],
        "nonpayable",
    ),
    _event(
        "PairCreated",
        [
            ("token0", "address", True),
            ("token1", "address", True),
            ("pair", "address", False),
            ("", "uint256", False),
        ],
    ),
]

V2_ROUTER_ABI: ABI = [
    _fn("factory", [], [("", "address")]),
    _fn("WETH", [], [("", "address")]),
    _fn(
        "getAmountsOut",
        [("amountIn", "uint256"), ("path", "address[]")],
        [("amounts", "uint256[]")],
    ),
    _fn(
        "swapExactTokensForTokens",
        [
            ("amountIn", "uint256"),
            ("amountOutMin", "uint256"),
            ("path", "address[]"),
            ("to", "address"),
            ("deadline", "uint256"),
        ],
        [("amounts", "uint256[]")],
        "nonpayable",
    ),
    _fn(
        "addLiquidity",
        [
            ("tokenA", "address"),
            ("tokenB", "address"),
            ("amountADesired", "uint256"),
            ("amountBDesired", "uint256"),
            ("amountAMin", "uint256"),
            ("amountBMin", "uint256"),
            ("to", "address"),
            ("deadline", "uint256"),
        ],
        [("amountA", "uint256"), ("amountB", "uint256"), ("liquidity", "uint256")],
        "nonpayable",
    ),
]

FLASH_ARB_ABI: ABI = [
    {"type": "constructor", "inputs": [], "stateMutability": "nonpayable"},
    _fn("owner", [], [("", "address")]),
    _fn(
        "getAmountOut",
        [
            ("amountIn", "uint256"),
            ("reserveIn", "uint256"),
            ("reserveOut", "uint256"),
            ("feeBps", "uint256"),
        ],
        [("", "uint256")],
        "pure",
    ),
    _fn(
        "execute",
        [
            ("pairBorrow", "address"),
            ("pairSell", "address"),
            ("tokenIn", "address"),
            ("amountIn", "uint256"),
            ("feeBorrowBps", "uint256"),
            ("feeSellBps", "uint256"),
            ("minProfit", "uint256"),
        ],
        [("profit", "uint256")],
        "nonpayable",
    ),
    _fn(
        "uniswapV2Call",
        [("sender", "address"), ("amount0", "uint256"), ("amount1", "uint256"), ("data", "bytes")],
        [],
        "nonpayable",
    ),
    _fn(
        "withdraw",
        [("token", "address"), ("to", "address"), ("amount", "uint256")],
        [],
        "nonpayable",
    ),
    _event(
        "ArbExecuted",
        [
            ("tokenIn", "address", True),
            ("pairBorrow", "address", True),
            ("pairSell", "address", True),
            ("amountIn", "uint256", False),
            ("profit", "uint256", False),
        ],
    ),
]


def flash_arb_abi() -> ABI:
    """The compiled FlashArb ABI (needs `make contracts`)."""
    from arbstream.artifacts import load_artifact

    return load_artifact("FlashArb").abi
