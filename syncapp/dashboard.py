"""The dashboard: each app registers a panel (a template and its facts about one tenant).

Apps register from their AppConfig.ready(), so the tenancy core does not import the features.
"""

from collections.abc import Callable

from .models import Tenant

Panel = Callable[[Tenant], dict]
_panels: list[tuple[int, Panel]] = []


def register_panel(panel: Panel, *, order: int = 50) -> None:
    """`panel(tenant)` returns {"template": "...", **context} for one dashboard card."""
    _panels.append((order, panel))


def dashboard_context(tenant: Tenant) -> dict:
    panels = [panel(tenant) for _, panel in sorted(_panels, key=lambda p: p[0])]
    return {"tenant": tenant, "panels": panels}
