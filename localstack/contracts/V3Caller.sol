// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IV3CallerERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
}

interface IV3CallerPool {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function liquidity() external view returns (uint128);
    function slot0()
        external
        view
        returns (uint160 sqrtPriceX96, int24 tick, uint16, uint16, uint16, uint8, bool);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// @title V3Caller: drives real Uniswap V3 pools from a test harness.
/// @notice `mint` and `swapExact` pay the pool's callbacks from this contract's own token
/// balance (fund it by transferring or minting tokens to it); swap output stays here too.
/// `quote` runs the swap and reverts inside the callback with the result (QuoterV1 style): call
/// it with eth_call. Only the owner can spend the balance; a callback is accepted only from the
/// pool this contract is calling at that moment.
contract V3Caller {
    address public immutable owner;
    /// The pool whose callback is expected (set for the duration of one mint/swap/quote).
    address private pending;

    uint8 private constant MODE_PAY = 1;
    uint8 private constant MODE_QUOTE = 2;
    /// abi.encode(int256, int256, uint160, int24, uint128): the quote's revert payload.
    uint256 private constant QUOTE_LENGTH = 160;

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "V3Caller: not owner");
        _;
    }

    modifier calling(address pool) {
        require(pending == address(0), "V3Caller: reentered");
        pending = pool;
        _;
        pending = address(0);
    }

    /// Adds `amount` liquidity in [tickLower, tickUpper) owned by `recipient`; pays the pool.
    function mint(address pool, address recipient, int24 tickLower, int24 tickUpper, uint128 amount)
        external
        onlyOwner
        calling(pool)
        returns (uint256 amount0, uint256 amount1)
    {
        (amount0, amount1) = IV3CallerPool(pool).mint(recipient, tickLower, tickUpper, amount, "");
    }

    /// pool.swap with this contract as recipient and payer; returns the pool's deltas.
    /// `amountSpecified` > 0: exact input; < 0: exact output. The pool's reverts bubble up.
    function swapExact(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        onlyOwner
        calling(pool)
        returns (int256 amount0, int256 amount1)
    {
        (amount0, amount1) = IV3CallerPool(pool).swap(
            address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, abi.encode(MODE_PAY)
        );
    }

    /// The swap's deltas and the pool state after it, without paying (use with eth_call).
    /// The pool's own reverts (SPL, AS, ...) are re-raised unchanged.
    function quote(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        calling(pool)
        returns (int256 amount0, int256 amount1, uint160 sqrtPriceX96After, int24 tickAfter, uint128 liquidityAfter)
    {
        try IV3CallerPool(pool).swap(
            address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, abi.encode(MODE_QUOTE)
        ) {
            revert("V3Caller: quote did not revert");
        } catch (bytes memory reason) {
            if (reason.length != QUOTE_LENGTH) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
            (amount0, amount1, sqrtPriceX96After, tickAfter, liquidityAfter) =
                abi.decode(reason, (int256, int256, uint160, int24, uint128));
        }
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        require(msg.sender == pending && msg.sender != address(0), "V3Caller: unexpected callback");
        IV3CallerPool pool = IV3CallerPool(msg.sender);
        if (amount0Owed > 0) _pay(pool.token0(), msg.sender, amount0Owed);
        if (amount1Owed > 0) _pay(pool.token1(), msg.sender, amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        require(msg.sender == pending && msg.sender != address(0), "V3Caller: unexpected callback");
        uint8 mode = abi.decode(data, (uint8));
        IV3CallerPool pool = IV3CallerPool(msg.sender);
        if (mode == MODE_QUOTE) {
            // the pool has written slot0 and liquidity before calling back
            (uint160 sqrtPriceX96, int24 tick,,,,,) = pool.slot0();
            uint128 liq = pool.liquidity();
            bytes memory payload = abi.encode(amount0Delta, amount1Delta, sqrtPriceX96, tick, liq);
            assembly {
                revert(add(payload, 32), mload(payload))
            }
        }
        require(mode == MODE_PAY, "V3Caller: bad mode");
        if (amount0Delta > 0) _pay(pool.token0(), msg.sender, uint256(amount0Delta));
        if (amount1Delta > 0) _pay(pool.token1(), msg.sender, uint256(amount1Delta));
    }

    function _pay(address token, address to, uint256 amount) private {
        require(IV3CallerERC20(token).transfer(to, amount), "V3Caller: transfer failed");
    }
}
