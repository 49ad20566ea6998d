"""gunicorn settings for LN-CDS, used by the Dockerfile's CMD and by the tests.

`gunicorn -c gunicorn.conf.py wsgi:app`. Only LNCDS_BIND, LNCDS_WORKERS and LNCDS_THREADS
are read here; the service's own settings are read and validated by `create_app`.
"""

import multiprocessing
import os

bind = os.environ.get("LNCDS_BIND", "0.0.0.0:8080")
workers = int(os.environ.get("LNCDS_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("LNCDS_THREADS", "4"))
worker_class = "gthread"
# Load the app in the master first: a configuration error stops start-up once, loudly.
preload_app = True
# A hook call is bounded by LNCDS_FHIR_BUDGET_SECONDS; this only reaps stuck workers.
timeout = 30
graceful_timeout = 10
keepalive = 5
# Access log without query strings or bodies (no PHI in our URLs, none in our logs).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LNCDS_LOG_LEVEL", "info").lower()
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
