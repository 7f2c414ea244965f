"""The servers under test, each run alone in its own process by `python -m bench.apps`."""

from __future__ import annotations

import argparse
import os

import uvicorn


def hello_app():
    """The baseline: a bare Starlette 'hello' app under the same server."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


def humangov_app(data_dir: str, *, listing_cache: bool = True):
    """The app as `serve` builds it. Without `listing_cache`, no listing page is ever served
    from the cache (it is never told a change token), so every search and page is work."""
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.web.app import create_app
    from humangov.web.cache import ReadCache

    settings = Settings(data_dir=data_dir, monitoring=False, environment="test")
    app = create_app(bootstrap(settings))
    if not listing_cache:
        app.state.read_cache = ReadCache(lambda: None)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", choices=["hello", "humangov"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", default=os.environ.get("HUMANGOV_DATA_DIR", "var"))
    parser.add_argument("--no-listing-cache", action="store_true")
    args = parser.parse_args()
    app = (hello_app() if args.app == "hello"
           else humangov_app(args.data_dir, listing_cache=not args.no_listing_cache))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
