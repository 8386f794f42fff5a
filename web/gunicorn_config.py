"""gunicorn settings for production: ``gunicorn -c python:web.gunicorn_config 'web:create_app()'``.

The access log never holds a client address or user agent: respondents are anonymous, and a
whole school often shares one address anyway.
"""

import multiprocessing
import os

bind = os.environ.get("ROOTCAUSE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ROOTCAUSE_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("ROOTCAUSE_THREADS", 4))
worker_class = "gthread"
timeout = 60
accesslog = "-"
access_log_format = '- - %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# Behind a reverse proxy the proxy terminates TLS; let Flask see https for secure cookies.
forwarded_allow_ips = os.environ.get("ROOTCAUSE_FORWARDED_ALLOW_IPS", "127.0.0.1")
