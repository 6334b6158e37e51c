"""The one check of an RFC 9457 answer that every service's tests share."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.problems import PROBLEM_MEDIA_TYPE


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """Asserts a problem+json answer of that status and type (`urn:cityops:problem:<slug>`); returns it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"urn:cityops:problem:{slug}", problem
    assert problem["status"] == status
    assert problem["title"]
    return problem
