# Fixtures for the Stripe emulator (filled by the Stripe work).
