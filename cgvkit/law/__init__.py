"""French law in numbers: the half-year rate table, interest, what a penalties clause means."""
