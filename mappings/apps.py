from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "mappings"
    verbose_name = "Customer sync settings"

    def ready(self) -> None:
        from syncapp.dashboard import register_panel

        from .panels import settings_panel

        register_panel(settings_panel, order=20)
