"""The client's own address behind the repo's nginx (`manage.py serve`), for the log-in throttle."""

from __future__ import annotations

from django.conf import settings


class ProxiedClientAddressMiddleware:
    """Behind our nginx (settings.BEHIND_PROXY), REMOTE_ADDR becomes the client's address from X-Real-IP.

    Believed only from a peer on gunicorn's Unix socket, which `manage.py serve` puts in a folder only nginx's
    worker may enter, and nginx always overwrites the header: a client cannot choose its own address. A
    request over TCP — even from this machine's loopback — keeps its own peer address, unless it comes from a
    balancer's address in settings.PROXY_ADDRESSES (an app node of its own: `manage.py serve --bind`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        peer = request.META.get("REMOTE_ADDR")
        if settings.BEHIND_PROXY and forwarded and (peer == UNIX_SOCKET_PEER or peer in settings.PROXY_ADDRESSES):
            request.META["REMOTE_ADDR"] = forwarded
        return self.get_response(request)


UNIX_SOCKET_PEER = ""  # gunicorn's REMOTE_ADDR for a request on a Unix socket (its peer has no address)
