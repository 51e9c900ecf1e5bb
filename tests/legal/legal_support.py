"""What the legal documents' tests share: publishing a version in one line."""

from __future__ import annotations


def publish(actor, kind: str, *, minor: bool = False, body: str | None = None, **extra):
    """Publish the next version of ``kind`` as ``actor`` (through the service)."""
    from legal import services

    now = services.current(kind)
    version = (now.version + 1) if now else 1
    return services.publish(
        actor,
        kind,
        title=extra.pop("title", now.title if now else kind),
        body=body or f"# 第{version}版\n{kind} の本文、第{version}版。",
        title_en=extra.pop("title_en", f"{kind} (English)"),
        body_en=extra.pop("body_en", f"Version {version} of the {kind}."),
        minor=minor,
        **extra,
    )
