"""`cityops openapi`: the committed OpenAPI snapshot of every service, `services/<name>/openapi.json`.

The documents come from each service's own app factory, with settings that need neither a database nor
a real key (the engine connects lazily, so nothing is contacted). The gateway serves the merge of these
snapshots, and a test fails when one is out of date with the code.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from cli.services import SERVICES, ProcessSpec

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Placeholders: building an app validates its settings, but generating a document uses none of them.
_SNAPSHOT_SETTINGS: dict[str, Any] = {
    "database_url": "postgresql://openapi@127.0.0.1:9/openapi",
    "jwt_secret": "openapi-snapshot-only",
    "jwt_jwks_url": None,
    "log_json": False,
}

Document = dict[str, Any]


def snapshot_path(service: str) -> Path:
    return PROJECT_ROOT / "services" / service / "openapi.json"


def render(document: Document) -> str:
    """Stable text: FastAPI's own key order, two-space indent, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def build_app(spec: ProcessSpec) -> Any:
    """The service's app as its factory makes it, with the placeholder settings (nothing is contacted)."""
    settings_type = _load(spec.settings_class)
    app_factory = _load(spec.app_factory)
    return app_factory(settings_type(**_SNAPSHOT_SETTINGS))


def build_document(spec: ProcessSpec) -> Document:
    document: Document = build_app(spec).openapi()
    return document


def documents() -> dict[str, Document]:
    """Every service's current OpenAPI document, freshly generated from the code, by service name."""
    return {spec.name: build_document(spec) for spec in SERVICES}


def write_snapshots() -> list[Path]:
    """Writes each service's snapshot that differs from the code; returns the files written."""
    written = []
    for service, document in documents().items():
        path = snapshot_path(service)
        text = render(document)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
