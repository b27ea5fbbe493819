from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Holds the sandbox's management commands (sandbox_seed); the emulators are its sub-apps."""

    name = "sandbox"
    verbose_name = "Sandbox emulators"
