pytest_plugins = [
    "tests.parallel",
    "tests.fixtures_economic",
    "tests.fixtures_stripe",
    "tests.fixtures_merchant",
]
