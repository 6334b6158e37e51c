"""/openapi.json, /docs (Swagger UI) and /redoc, with their scripts served by the gateway itself.

FastAPI's pages load Swagger UI and ReDoc from a CDN, which a city network may not reach; the
`fastapi-offline` package ships both bundles, and the gateway serves them from /docs-assets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
ASSETS_FOLDER = Path(fastapi_offline.__file__).parent / "static"
TITLE = "CityOps API"


def docs_routes(document: dict[str, Any]) -> list[BaseRoute]:
    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    async def swagger_ui(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=TITLE,
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            # No validator badge: it would call validator.swagger.io, which a city network may not reach.
            swagger_ui_parameters={
                "persistAuthorization": True,
                "displayOperationId": True,
                "validatorUrl": None,
            },
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=TITLE,
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/docs", swagger_ui, methods=["GET"]),
        Route("/redoc", redoc, methods=["GET"]),
        Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_FOLDER), name="docs-assets"),
    ]
