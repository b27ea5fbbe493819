# Fixtures for the e-conomic emulator (filled by the e-conomic work).
