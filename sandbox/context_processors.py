"""Registered in TEMPLATES only when the sandbox is installed: tells the product's pages (the
connections page) to include the sandbox's own card, without the product importing the sandbox."""


def sandbox(request) -> dict:
    return {"sandbox_enabled": True}
