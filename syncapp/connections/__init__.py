"""A tenant's connections to Stripe and e-conomic, as a Django app of its own (its models stay in
syncapp): checking and storing credentials (`economic`, `stripe`, `tenant`), reading them back
(`selectors`), and the API clients made from them (`clients`). Code outside this package never
reads a connection's fields.
"""
