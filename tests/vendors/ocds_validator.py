"""The official OCDS validator (libcoveocds), run without the network.

libcoveocds downloads the standard (a ZIP of its repository) and every extension a package declares.
Here the standard comes from `ocds_standard/schema` as ZIP bytes (the `standard_zip` setting), and the
extensions' files are answered from `ocds_standard/extensions` by a transport mounted on the HTTP
session that ocdsextensionregistry fetches through. Any other URL fails at once, so a validation that
would need the network fails the test instead of reaching out.
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
import requests
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig
from ocdsextensionregistry import util as registry_util
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse

from services.vendors.ocds.packages import EXTENSIONS

STANDARD = Path(__file__).parent / "ocds_standard"
# The copy of the standard is 1.1.4 (see ocds_standard/README.md); its files reference that tag.
STANDARD_TAG = "1__1__4"
# A release-schema patch and extension.json from raw.githubusercontent.com, or the repository's ZIP.
_RAW = re.compile(r"^https://raw\.githubusercontent\.com/[^/]+/(?P<repo>[^/]+)/[^/]+/(?P<file>.+)$")
_ARCHIVE = re.compile(r"^https://github\.com/[^/]+/(?P<repo>[^/]+)/archive/(?P<ref>[^/]+)\.zip$")
# A schema of the standard, which jsonref fetches when it dereferences the record package schema.
_SCHEMA = re.compile(
    rf"^https?://standard\.open-contracting\.org/schema/{STANDARD_TAG}/(?P<file>[\w-]+\.json)$"
)


class OfflineExtensions(BaseAdapter):
    """Answers the declared extensions' and the standard's URLs from local files; refuses every other
    request."""

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = request.url or ""
        raw, archive, schema = _RAW.match(url), _ARCHIVE.match(url), _SCHEMA.match(url)
        if schema and (STANDARD / "schema" / schema["file"]).is_file():
            return _response(request, (STANDARD / "schema" / schema["file"]).read_bytes())
        if raw and (STANDARD / "extensions" / raw["repo"] / raw["file"]).is_file():
            return _response(request, (STANDARD / "extensions" / raw["repo"] / raw["file"]).read_bytes())
        if archive and (STANDARD / "extensions" / archive["repo"]).is_dir():
            return _response(request, _zip(STANDARD / "extensions" / archive["repo"], archive["repo"]))
        raise requests.ConnectionError(f"no network in tests: {url}")

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


def _zip(folder: Path, root: str) -> bytes:
    """The folder as GitHub serves a repository archive: every file under one top-level folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", "")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{path.relative_to(folder)}")
    return buffer.getvalue()


def _closed_codelists(schema: Any, found: dict[str, list[str]]) -> dict[str, list[str]]:
    """The closed codelists' codes, as the schema enumerates them (`enum` beside `codelist`)."""
    if isinstance(schema, dict):
        enum = schema.get("enum") or schema.get("items", {}).get("enum")
        if isinstance(schema.get("codelist"), str) and isinstance(enum, list):
            found[schema["codelist"]] = [code for code in enum if code is not None]
        for value in schema.values():
            _closed_codelists(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _closed_codelists(value, found)
    return found


@cache
def _standard_zip() -> bytes:
    """The standard's files laid out as its repository archive (tags before 1__1__5 keep them in
    `standard/schema/`). The codelist files, which libcoveocds reads to report codes, are written from
    the closed codelists the release schema enumerates; open codelists are left out, and libcoveocds
    then checks no code against them."""
    root = "standard-1.1.4/standard/schema"
    release_schema = json.loads((STANDARD / "schema" / "release-schema.json").read_text())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("standard-1.1.4/", "")
        for path in sorted((STANDARD / "schema").glob("*.json")):
            archive.write(path, f"{root}/{path.name}")
        for name, codes in sorted(_closed_codelists(release_schema, {}).items()):
            archive.writestr(f"{root}/codelists/{name}", "Code\n" + "".join(f"{code}\n" for code in codes))
    return buffer.getvalue()


def _offline_session() -> None:
    """Both HTTP clients libcoveocds reaches through: ocdsextensionregistry's session, and `requests`
    as jsonref calls it (a session here, with the same transport)."""
    offline = requests.Session()
    for prefix in ("https://", "http://"):
        registry_util.session.mount(prefix, OfflineExtensions())
        offline.mount(prefix, OfflineExtensions())
    jsonref.requests = offline


def validate(package: dict[str, Any]) -> dict[str, Any]:
    """libcoveocds's report on a release or record package (its `api` context, as its CLI gives)."""
    _offline_session()
    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = _standard_zip()
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
    """No validation error, no code outside a closed codelist, every declared extension found and
    applied; returns the report."""
    assert package["extensions"] == EXTENSIONS
    report = validate(package)
    assert report["validation_errors"] == [], json.dumps(report["validation_errors"], indent=1)[:4000]
    # Codes outside a closed codelist are errors too; libcoveocds lists them apart.
    assert report["additional_closed_codelist_values"] == {}, report["additional_closed_codelist_values"]
    extensions = report.get("extensions", {})
    assert extensions.get("invalid_extension", {}) == {}, extensions
    assert extensions.get("is_extended_schema") is True, extensions
    return report
