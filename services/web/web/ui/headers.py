"""Security headers on every answer of the web service: a strict Content-Security-Policy (our own
scripts and styles only, no inline code, no framing), no MIME sniffing, no referrer beyond the
site, and HSTS in production. The API's documentation pages (/docs, /redoc) load FastAPI's
bundled viewer from its CDN and are left out."""

from __future__ import annotations

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
_EXEMPT = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    def __init__(self, app, *, production: bool) -> None:
        self.app = app
        self.headers = [(b"content-security-policy", POLICY.encode()), (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]
        if production:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(self.headers)
            await send(message)

        await self.app(scope, receive, with_headers)
