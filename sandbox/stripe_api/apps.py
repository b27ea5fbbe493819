from django.apps import AppConfig


class StripeApiConfig(AppConfig):
    name = "sandbox.stripe_api"
    label = "sandbox_stripe"
    verbose_name = "Sandbox: Stripe emulator"
