"""gunicorn settings for production: ``gunicorn -c python:web.gunicorn_config 'web:create_app()'``.

The access log never holds a client address, user agent or query string (%U is the path
without it; personal tokens come in QR links as /s/<code>/token?t=...): respondents are
anonymous, and a whole school often shares one address anyway. The error log is scrubbed of
both too (PrivateLogger).
"""

import multiprocessing
import os
from typing import Any

from gunicorn import glogging

from web.logprivacy import ScrubFilter

bind = os.environ.get("ROOTCAUSE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ROOTCAUSE_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("ROOTCAUSE_THREADS", 4))
worker_class = "gthread"
timeout = 60
accesslog = "-"
access_log_format = '- - %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# Behind a reverse proxy the proxy terminates TLS; let Flask see https for secure cookies.
forwarded_allow_ips = os.environ.get("ROOTCAUSE_FORWARDED_ALLOW_IPS", "127.0.0.1")


class PrivateLogger(glogging.Logger):
    """gunicorn's logger, with no query string or client address in its error log either
    (a request that fails in front of Flask is logged with its URI, and a malformed one with
    the client's address): see web.logprivacy."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # (The access log's format has no query string or address to begin with.)
        if not any(isinstance(f, ScrubFilter) for f in self.error_log.filters):
            self.error_log.addFilter(ScrubFilter())


logger_class = PrivateLogger


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the application: import what the staff pages use and freeze
    what lives as long as the worker out of the garbage collector (web.app)."""
    from web.app import prepare_for_serving

    prepare_for_serving()
