"""Support staff's permissions: least privilege, one Django permission per support action.

Reading a merchant's records takes the model's view permission; each action that does something
(view as merchant, replay, retry, unlink, cancel or resume an import, test connections) takes its
own permission, declared in the model's `Meta.permissions`. The "Support" group holds the view
permissions of the merchant's records and every such action, never the right to make owners,
and is kept in step with the code after each `migrate`. `staff_totp --support` puts a staff
member in it.
"""

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q

from .models import Membership, Tenant, ViewAsSession
from .offboarding import tenant_owned_models

SUPPORT_GROUP = "Support"


def permission_name(model: type[Model], action: str) -> str:
    """`app_label.<action>_<model>`, as `user.has_perm` takes it."""
    opts = model._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


def may(user, model: type[Model], action: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(permission_name(model, action)))


VIEW_AS = permission_name(Tenant, "view_as")
MAKE_OWNER = permission_name(Membership, "make_owner")
_MAKE_OWNER_CODENAME = get_permission_codename("make_owner", Membership._meta)


def _support_models() -> list[type[Model]]:
    return [Tenant, ViewAsSession, *tenant_owned_models()]


def support_permissions() -> list[Permission]:
    """Viewing each merchant's records, and every support action their models declare."""
    wanted = Q()
    for model in _support_models():
        actions = [codename for codename, _ in model._meta.permissions]
        codenames = {get_permission_codename("view", model._meta), *actions} - {_MAKE_OWNER_CODENAME}
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        wanted |= Q(content_type=content_type, codename__in=codenames)
    return list(Permission.objects.filter(wanted))


def support_group_sync() -> Group:
    """The "Support" group, holding exactly `support_permissions()`."""
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.set(support_permissions())
    return group


def staff_join_support(*, user) -> Group:
    group = support_group_sync()
    user.groups.add(group)
    return group


def sync_support_group_after_migrate(sender, **kwargs) -> None:
    """post_migrate: once the last app's permissions exist, the group is brought in step."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        support_group_sync()
