"""The local stack: broker and Anvil processes, deployments, market simulator, test-only contracts, the demo. Used by the demo and the tests; production code never imports it."""
