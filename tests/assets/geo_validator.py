"""Validates answers of the OGC API - Features endpoints against the published schemas, unmodified.

Two sets of files, kept beside the repository in `../shared/standards/` (their README.md files say where
each comes from): the GeoJSON (RFC 7946) JSON Schemas of geojson.org, draft-07, one complete file per
type; and the OGC API - Features Part 1: Core 1.0.1 building blocks, OpenAPI 3.0 schema objects in YAML
that `$ref` one another by relative file name (`featureCollectionGeoJSON.yaml` → `featureGeoJSON.yaml`).
Those are resolved here from their files by their `file:` URIs, so a schema is read as published.
The schemas cannot see a polygon's winding: `assert_right_hand_rule` checks RFC 7946 §3.1.6 with GEOS.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import shapely
import yaml
from jsonschema import Draft4Validator, Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from shapely.geometry import shape

# CI clones the repository with `shared` beside it: <repository>/../shared/standards/.
REPOSITORY = Path(__file__).resolve().parents[2]
STANDARDS = REPOSITORY.parent / "shared" / "standards"
GEOJSON = STANDARDS / "geojson"
OGC_SCHEMAS = STANDARDS / "ogcapi-features" / "core" / "openapi" / "schemas"


def _published(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.fail(
            f"The published schemas are missing: expected {folder}. The tests read them from "
            "<repository>/../shared/standards/: clone or link the `shared` folder beside the repository.",
            pytrace=False,
        )
    return folder


@cache
def _geojson_validator(name: str) -> Draft7Validator:
    schema = json.loads((_published(GEOJSON) / f"{name}.json").read_text())
    return Draft7Validator(schema)


def _retrieve(uri: str) -> Resource[Any]:
    # OpenAPI 3.0 schema objects are a JSON Schema draft-4 dialect (`nullable`, `example` aside, which a
    # validator ignores).
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(yaml.safe_load(path.read_text()), default_specification=DRAFT4)


@cache
def _ogc_validator(name: str) -> Draft4Validator:
    uri = (_published(OGC_SCHEMAS) / f"{name}.yaml").as_uri()
    return Draft4Validator({"$ref": uri}, registry=Registry(retrieve=_retrieve))  # type: ignore[call-arg]


def _errors(validator: Draft4Validator | Draft7Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def assert_valid(document: Any, *, geojson: str | None = None, ogc: str) -> None:
    """`document` is valid against the OGC building block `ogc` (`featureCollectionGeoJSON`, `landingPage`…)
    and, for GeoJSON, against geojson.org's `geojson` schema (`FeatureCollection`, `Feature`)."""
    errors = _errors(_ogc_validator(ogc), document)
    if geojson is not None:
        errors += _errors(_geojson_validator(geojson), document)
    assert not errors, "\n".join(errors[:20])


def assert_right_hand_rule(feature: dict[str, Any]) -> None:
    """A polygon's exterior ring runs counter-clockwise and its holes clockwise (RFC 7946 §3.1.6)."""
    geometry = feature["geometry"]
    if geometry["type"] != "Polygon":
        return
    polygon = shape(geometry)
    assert shapely.is_ccw(polygon.exterior), feature["id"]
    assert not any(shapely.is_ccw(hole) for hole in polygon.interiors), feature["id"]
