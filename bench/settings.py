"""The product's settings, served with the bench's urlconf (the product's urls plus the bare view)."""

from syncapp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
