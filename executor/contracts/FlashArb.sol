// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IFlashArbERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
}

interface IFlashArbV2Pair {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

/// @title FlashArb: two-pair Uniswap-V2 flash-swap arbitrage.
/// @notice `execute` borrows token B from `pairBorrow` against `amountIn` of token A (owed back to
/// `pairBorrow` inside the flash-swap callback), sells that B on `pairSell` for A, repays
/// `amountIn` of A and keeps the difference. Needs no capital; reverts unless the round trip
/// returns at least `amountIn + minProfit`. Works as an `eth_call` simulation returning the profit.
contract FlashArb {
    address public immutable owner;

    /// @dev The pair a flash swap is in flight with; only it may call `uniswapV2Call`.
    address private activePair;
    /// @dev Profit of the flash swap in flight, handed from the callback back to `execute`.
    uint256 private lastProfit;

    struct Leg {
        address pairSell;
        address tokenA;
        address tokenB;
        uint256 amountIn;
        uint256 feeSellBps;
        uint256 minProfit;
    }

    event ArbExecuted(
        address indexed tokenIn,
        address indexed pairBorrow,
        address indexed pairSell,
        uint256 amountIn,
        uint256 profit
    );

    modifier onlyOwner() {
        require(msg.sender == owner, "FlashArb: not owner");
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    /// @notice Uniswap V2 output amount for `amountIn` with a fee in basis points.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint256 feeBps)
        public
        pure
        returns (uint256)
    {
        require(amountIn > 0, "FlashArb: zero input");
        require(reserveIn > 0 && reserveOut > 0, "FlashArb: no liquidity");
        require(feeBps < 10000, "FlashArb: bad fee");
        uint256 amountInWithFee = amountIn * (10000 - feeBps);
        return (amountInWithFee * reserveOut) / (reserveIn * 10000 + amountInWithFee);
    }

    function execute(
        address pairBorrow,
        address pairSell,
        address tokenIn,
        uint256 amountIn,
        uint256 feeBorrowBps,
        uint256 feeSellBps,
        uint256 minProfit
    ) external onlyOwner returns (uint256 profit) {
        require(pairBorrow != pairSell, "FlashArb: same pair");
        require(activePair == address(0), "FlashArb: reentrant");
        (bool aIsToken0, address tokenB, uint256 amountOutB) = _quoteBorrow(pairBorrow, tokenIn, amountIn, feeBorrowBps);

        bytes memory data = abi.encode(
            Leg({
                pairSell: pairSell,
                tokenA: tokenIn,
                tokenB: tokenB,
                amountIn: amountIn,
                feeSellBps: feeSellBps,
                minProfit: minProfit
            })
        );
        activePair = pairBorrow;
        IFlashArbV2Pair(pairBorrow).swap(aIsToken0 ? 0 : amountOutB, aIsToken0 ? amountOutB : 0, address(this), data);
        activePair = address(0);

        profit = lastProfit;
        lastProfit = 0;
        emit ArbExecuted(tokenIn, pairBorrow, pairSell, amountIn, profit);
    }

    /// @dev Which side A is on in `pairBorrow`, the other token B, and the B a flash swap of
    /// `amountIn` A buys there.
    function _quoteBorrow(address pairBorrow, address tokenIn, uint256 amountIn, uint256 feeBps)
        private
        view
        returns (bool aIsToken0, address tokenB, uint256 amountOutB)
    {
        address t0 = IFlashArbV2Pair(pairBorrow).token0();
        address t1 = IFlashArbV2Pair(pairBorrow).token1();
        require(tokenIn == t0 || tokenIn == t1, "FlashArb: token not in pair");
        aIsToken0 = tokenIn == t0;
        tokenB = aIsToken0 ? t1 : t0;
        (uint112 r0, uint112 r1,) = IFlashArbV2Pair(pairBorrow).getReserves();
        amountOutB = aIsToken0 ? getAmountOut(amountIn, r0, r1, feeBps) : getAmountOut(amountIn, r1, r0, feeBps);
        require(amountOutB > 0, "FlashArb: zero output");
    }

    /// @notice Flash-swap callback of `pairBorrow`: sell the borrowed B on `pairSell`, repay A.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data) external {
        require(msg.sender == activePair && msg.sender != address(0), "FlashArb: bad callback");
        require(sender == address(this), "FlashArb: bad initiator");
        Leg memory leg = abi.decode(data, (Leg));
        uint256 amountB = amount0 + amount1;

        IFlashArbV2Pair sellPair = IFlashArbV2Pair(leg.pairSell);
        address s0 = sellPair.token0();
        bool bIsToken0 = s0 == leg.tokenB;
        require(bIsToken0 ? sellPair.token1() == leg.tokenA : s0 == leg.tokenA, "FlashArb: sell pair tokens");
        (uint112 r0, uint112 r1,) = sellPair.getReserves();
        (uint256 reserveB, uint256 reserveA) = bIsToken0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 aOut = getAmountOut(amountB, reserveB, reserveA, leg.feeSellBps);
        require(aOut >= leg.amountIn + leg.minProfit, "FlashArb: unprofitable");

        _safeTransfer(leg.tokenB, leg.pairSell, amountB);
        sellPair.swap(bIsToken0 ? 0 : aOut, bIsToken0 ? aOut : 0, address(this), new bytes(0));
        _safeTransfer(leg.tokenA, msg.sender, leg.amountIn);
        lastProfit = aOut - leg.amountIn;
    }

    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        require(to != address(0), "FlashArb: zero recipient");
        _safeTransfer(token, to, amount);
    }

    function _safeTransfer(address token, address to, uint256 amount) private {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(IFlashArbERC20.transfer.selector, to, amount));
        require(ok && (ret.length == 0 || abi.decode(ret, (bool))), "FlashArb: transfer failed");
    }
}
