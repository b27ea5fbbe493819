"""Personal data of merchants' Stripe customers: kept only as long as needed, erased on request.

`retention.py` purges old copies in bounded batches (the beat task), `erasure.py` removes every
copy we hold of one customer, `redaction.py` is the one way a text is stripped of personal data.
The e-conomic customer is the merchant's bookkeeping record: none of this touches it.
"""
