"""The official OCDS validator (libcoveocds), run without the network, against the published files.

libcoveocds downloads the standard (a ZIP of its repository) and every extension a package declares.
Here both come from genuine, unmodified copies kept beside the repository, in
`../shared/standards/ocds/` (its README.md says where each file comes from): the standard's ZIP is
given to libcoveocds as it is shipped (the `standard_zip` setting), and the declared extensions' URLs
are answered from their published files by a transport mounted on the HTTP sessions libcoveocds
fetches through. Any other URL fails at once, so a validation that would need the network fails the
test instead of reaching out. Nothing here writes a schema or a codelist of its own.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonref
import pytest
import requests
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig
from ocdsextensionregistry import util as registry_util
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse

from services.vendors.ocds.packages import EXTENSIONS

# CI clones the repository with `shared` beside it: <repository>/../shared/standards/ocds.
REPOSITORY = Path(__file__).resolve().parents[2]
PUBLISHED = REPOSITORY.parent / "shared" / "standards" / "ocds"
# The standard libcoveocds 0.17 validates "1.1" against, as its repository archive at that tag.
STANDARD_TAG = "1__1__5"
STANDARD_ZIP = PUBLISHED / f"standard-{STANDARD_TAG}.zip"
EXTENSION_FILES = PUBLISHED / "extensions"
# A file of an extension, as the declared extension.json URLs and their siblings name it.
_RAW = re.compile(
    r"^https://raw\.githubusercontent\.com/open-contracting-extensions/"
    r"(?P<repo>[\w-]+)/(?P<ref>[\w.-]+)/(?P<file>[\w+-]+(?:/[\w+.-]+)?\.(?:json|csv))$"
)
# The archive of an extension's repository at a ref, which ocdsextensionregistry derives from the
# extension.json URL and reads the extension's files from.
_ARCHIVE = re.compile(
    r"^https://github\.com/open-contracting-extensions/(?P<repo>[\w-]+)/archive/(?P<ref>[\w.-]+)\.zip$"
)
# A schema of the standard, which jsonref fetches when it dereferences the package schemas.
_SCHEMA = re.compile(
    rf"^https?://standard\.open-contracting\.org/schema/{STANDARD_TAG}/(?P<file>[\w-]+\.json)$"
)


def published_files() -> Path:
    """The folder of published files, or a failure that says where it was looked for."""
    if not STANDARD_ZIP.is_file() or not EXTENSION_FILES.is_dir():
        pytest.fail(
            f"The published OCDS standard and extensions are missing: expected {STANDARD_ZIP} and "
            f"{EXTENSION_FILES}/. The tests read them from <repository>/../shared/standards/ocds/: "
            "clone or link the `shared` folder beside the repository.",
            pytrace=False,
        )
    return PUBLISHED


@cache
def standard_zip() -> bytes:
    published_files()
    return STANDARD_ZIP.read_bytes()


def standard_file(name: str) -> bytes:
    """A file of the standard's `schema/` folder, read from its ZIP as published."""
    with zipfile.ZipFile(io.BytesIO(standard_zip())) as archive:
        return archive.read(f"standard-{STANDARD_TAG}/schema/{name}")


def extension_file(repo: str, ref: str, name: str) -> Path | None:
    """A published file of an extension at a ref, if it is kept here."""
    path = (EXTENSION_FILES / repo / ref / name).resolve()
    if path.is_relative_to(EXTENSION_FILES.resolve()) and path.is_file():
        return path
    return None


class OfflineStandard(BaseAdapter):
    """Answers the declared extensions' and the standard's URLs from the published files; refuses every
    other request."""

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = request.url or ""
        if raw := _RAW.match(url):
            path = extension_file(raw["repo"], raw["ref"], raw["file"])
            if path is not None:
                return _response(request, path.read_bytes())
        if archive := _ARCHIVE.match(url):
            metadata = extension_file(archive["repo"], archive["ref"], "extension.json")
            if metadata is not None:
                return _response(request, _archive(metadata.parent, archive["repo"]))
        if schema := _SCHEMA.match(url):
            try:
                return _response(request, standard_file(schema["file"]))
            except KeyError:
                pass
        raise requests.ConnectionError(f"no network in tests, and no published copy of {url}")

    def close(self) -> None:
        pass


def _response(request: requests.PreparedRequest, content: bytes) -> requests.Response:
    """A 200 built as requests' own adapter builds one, so the session's cache can store it."""
    raw = HTTPResponse(
        body=io.BytesIO(content),
        status=200,
        preload_content=False,
        request_url=request.url,
        decode_content=False,
    )
    return HTTPAdapter().build_response(request, raw)


def _archive(folder: Path, root: str) -> bytes:
    """The published files of an extension at a ref, packed as GitHub serves a repository archive:
    under one top-level folder, each file's bytes as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", "")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def offline_session() -> None:
    """Both HTTP clients libcoveocds reaches through: ocdsextensionregistry's session, and `requests`
    as jsonref calls it (a session here, with the same transport)."""
    published_files()
    offline = requests.Session()
    for prefix in ("https://", "http://"):
        registry_util.session.mount(prefix, OfflineStandard())
        offline.mount(prefix, OfflineStandard())
    jsonref.requests = offline


def validate(package: dict[str, Any]) -> dict[str, Any]:
    """libcoveocds's report on a release or record package (its `api` context, as its CLI gives)."""
    offline_session()
    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = standard_zip()
    # Pinned, so that a newer libcoveocds asking for another tag fails here rather than downloading it.
    config.config["schema_version_choices"] = {
        "1.1": ("1.1", "https://standard.open-contracting.org/1.1/en/", STANDARD_TAG)
    }
    # A deep copy: libcoveocds annotates what it is given. It writes the extended schema to a file,
    # which goes to a folder of its own rather than the working directory.
    with tempfile.TemporaryDirectory(prefix="ocds-") as output_dir:
        return ocds_json_output(
            output_dir, json_data=json.loads(json.dumps(package)), lib_cove_ocds_config=config
        )


def assert_valid(package: dict[str, Any]) -> dict[str, Any]:
    """No validation error, no code outside a closed codelist, no field outside the schema but paging
    links, every declared extension found and applied with its codelists; returns the report."""
    assert package["extensions"] == EXTENSIONS
    report = validate(package)
    assert report["validation_errors"] == [], json.dumps(report["validation_errors"], indent=1)[:4000]
    # Codes outside a closed codelist are errors too; libcoveocds lists them apart.
    assert report["additional_closed_codelist_values"] == {}, report["additional_closed_codelist_values"]
    # Fields the schema and the declared extensions do not define are allowed, so libcoveocds lists
    # them apart. The one the City adds is `links` (the next page): OCDS 1.1 packages have no paging.
    additional = {(entry["path"], entry["field"]) for entry in report.get("additional_fields", [])}
    assert additional <= {("", "links")}, additional
    extensions = report.get("extensions", {})
    assert extensions.get("invalid_extension", {}) == {}, extensions
    assert extensions.get("is_extended_schema") is True, extensions
    failed = {entry["url"]: entry["failed_codelists"] for entry in extensions.get("extensions", [])}
    assert set(failed) == set(EXTENSIONS) and not any(failed.values()), failed
    return report
