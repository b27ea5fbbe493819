from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Holds the sandbox's management commands (sandbox_seed, and demo_setup for `make run`) and
    the offline demo (`sandbox/demo.py`); the emulators are its sub-apps."""

    name = "sandbox"
    verbose_name = "Sandbox emulators"
