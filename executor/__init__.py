"""The executor room: its own process and role, the only key holder; re-checks, simulates and executes opportunities."""
