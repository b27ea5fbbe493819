"""`make chaos`: the whole stack under faults, proving nothing is lost, doubled or left stuck."""
