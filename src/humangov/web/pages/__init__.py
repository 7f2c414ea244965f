"""Server-rendered pages; the router the app mounts is humangov.web.routes.pages."""
