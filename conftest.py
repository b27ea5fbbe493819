pytest_plugins = ["tests.fixtures_economic", "tests.fixtures_stripe", "tests.fixtures_merchant"]
