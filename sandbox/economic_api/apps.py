from django.apps import AppConfig


class EconomicApiConfig(AppConfig):
    name = "sandbox.economic_api"
    label = "sandbox_economic"
    verbose_name = "Sandbox: e-conomic emulator"
