"""Platform adapters: one module per export format (see ``base.py`` for the contract)."""

from __future__ import annotations

import importlib
from types import ModuleType

# platform name in community.yaml -> module under pipeline.adapters
ADAPTER_MODULES = {
    "slack": "slack",
    "discord": "discord",
    "telegram": "telegram",
    "canonical": "canonical",
    "qq": "qq",
    "wechat": "wechat",
    "wecom": "wecom",
    "discourse": "discourse",
}


def get_adapter(platform: str) -> ModuleType:
    """The adapter module for a platform (imported lazily: each pulls in only what it needs)."""
    try:
        module = ADAPTER_MODULES[platform]
    except KeyError:
        raise ValueError(f"no adapter for platform {platform!r}; known: {', '.join(ADAPTER_MODULES)}") from None
    return importlib.import_module(f"pipeline.adapters.{module}")
