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


def humangov_app(data_dir: str):
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.web.app import create_app

    settings = Settings(data_dir=data_dir, monitoring=False, environment="test")
    return create_app(bootstrap(settings))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", choices=["hello", "humangov"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", default=os.environ.get("HUMANGOV_DATA_DIR", "var"))
    args = parser.parse_args()
    app = hello_app() if args.app == "hello" else humangov_app(args.data_dir)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


if __name__ == "__main__":
    main()
