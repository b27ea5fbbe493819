import json

from django.core.management.base import BaseCommand

from operations.services.alerts import alerts_send_due


class Command(BaseCommand):
    help = (
        "Send the alert e-mails that are due now (what the beat task 'send-alerts' does every 5 minutes): "
        "at most one an hour per tenant with alerts on, listing new failures and review items. "
        'Prints {"sent": N}. In `make run` the e-mails are printed to the console.'
    )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({"sent": alerts_send_due()}))
