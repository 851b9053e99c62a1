"""Every setting of every service, once: for ``vigie config``, docs/configuration.md and the compose check."""

from __future__ import annotations


def settings_classes() -> dict:
    from vigie.alert.settings import AlertSettings
    from vigie.enrich.settings import EnrichSettings
    from vigie.ingest.settings import IngestSettings
    from vigie.notify.settings import NotifySettings

    return {"ingest": IngestSettings, "enrich": EnrichSettings, "alert": AlertSettings,
            "notify": NotifySettings}


def all_settings() -> list[tuple[str, object, str, bool]]:
    """(env name, default, doc, secret), each variable once, common ones first."""
    seen: dict[str, tuple] = {}
    for cls in settings_classes().values():
        for entry in cls.documented():
            seen.setdefault(entry[0], entry)
    return list(seen.values())


def shown_default(default: object, secret: bool) -> str:
    if secret:
        return ""
    return ",".join(default) if isinstance(default, tuple) else str(default)


def markdown_table() -> str:
    """The table of settings in docs/configuration.md."""
    rows = [f"| `{name}` | `{shown_default(default, secret)}` | {doc} |"
            for name, default, doc, secret in all_settings()]
    return "\n".join(["| variable | default | meaning |", "|---|---|---|", *rows])
