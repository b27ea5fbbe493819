"""The emulators' own process in the bench: the product's settings with the sandbox on (which needs
DEBUG while the settings load), then Django's debug machinery off at run time (no query log, no
debug cursor). The emulators stand in for Stripe's and e-conomic's servers: the CPU they spend on
this machine is not ours, so they should spend as little as they can. Each new connection a
client opens is counted (bench/connections.py: `end_to_end.connections_per_sync`)."""

from syncapp.settings import *  # noqa: F403

DEBUG = False
MIDDLEWARE = ["bench.connections.CountConnections", *MIDDLEWARE]  # noqa: F405
