"""Local emulators of the e-conomic REST API and the Stripe customers API.

Used by the tests, the benchmarks and `make run`'s offline demo. Product code never imports this
package: it reaches the emulators over HTTP, exactly as it reaches the real services.
"""
