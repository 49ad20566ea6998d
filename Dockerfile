# LN-CDS: CDS Hooks 2.0 service (lupus nephritis renal status), served by gunicorn.
#
# Environment variables (see docs/service.md for the full table and defaults):
#   LNCDS_AUTH                     on | off (off only for local development; logged loudly)
#   LNCDS_TRUSTED_ISSUERS_FILE     trusted EHR issuers and their JWK Sets (required with auth on)
#   LNCDS_PUBLIC_URL               base URL clients call (JWT audience, card links)
#   LNCDS_CORS_ORIGINS             comma-separated browser origins allowed (none by default)
#   LNCDS_FHIR_ALLOWED_SERVERS     comma-separated FHIR base URLs the service may query
#   LNCDS_FHIR_ALLOW_HTTP          1 to allow plain http FHIR servers (local testing only)
#   LNCDS_FHIR_TIMEOUT_SECONDS     timeout of each FHIR call (default 3)
#   LNCDS_FHIR_BUDGET_SECONDS      all FHIR calls of one hook (default 4)
#   LNCDS_FHIR_MAX_PAGES           next links followed per query (default 50)
#   LNCDS_FHIR_MAX_RESPONSE_BYTES  largest FHIR response page read (default 20000000)
#   LNCDS_FHIR_WORKERS             parallel FHIR queries per hook (default 12)
#   LNCDS_MAX_REQUEST_BYTES        largest hook request body (default 64000000)
#   LNCDS_LOOKBACK_YEARS           Observations older than this are not used (default 15)
#   LNCDS_TIMEZONE                 IANA zone for "today" (default UTC)
#   LNCDS_AS_OF                    fixed assessment date YYYY-MM-DD (demos only; default today)
#   LNCDS_PROFILE                  kdigo-2024 (default) | gu-2014
#   LNCDS_DEMO                     1 to serve the embedded synthetic cohort
#   LNCDS_SMART_LAUNCH_URL         SMART launch URL of the trend view (card link type smart)
#   LNCDS_LOG_LEVEL                DEBUG | INFO (default) | WARNING | ERROR
#   LNCDS_LOG_FORMAT               json (default: one JSON object per log line) | text
#   LNCDS_DATABASE_URL / LNCDS_FEEDBACK_DB   feedback storage (PostgreSQL URL / SQLite path)
#   LNCDS_BIND, LNCDS_WORKERS, LNCDS_THREADS   gunicorn (gunicorn.conf.py)
#   PROMETHEUS_MULTIPROC_DIR       per-worker metric files behind /metrics (default: a temp dir)
# Probes: GET /healthz (liveness), GET /readyz (readiness); metrics: GET /metrics.
FROM python:3.11-slim

# MALLOC_ARENA_MAX=1: each gunicorn thread that serves a large hook otherwise grows a malloc
# arena of its own to the hook's peak (the GIL serialises allocation anyway). Measured with
# benchmarks/ (10,000-Observation hooks, one worker): RSS flat at ~104 MiB from the 50th hook,
# peak ~121 MiB, instead of creeping to 142 MiB (peak 150) by the 300th.
ENV MALLOC_ARENA_MAX=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system lncds && useradd --system --gid lncds --home-dir /app --shell /usr/sbin/nologin lncds

WORKDIR /app
COPY pyproject.toml README.md* ./
COPY cds ./cds
COPY fhir_mapping ./fhir_mapping
COPY templates ./templates
COPY wsgi.py gunicorn.conf.py ./
# editable install: the code, templates/ and gunicorn.conf.py stay together under /app
RUN pip install --editable . && chown -R root:root /app && chmod -R a+rX /app \
    && mkdir /data && chown lncds:lncds /data

# feedback is stored in SQLite on a volume unless LNCDS_DATABASE_URL names PostgreSQL
ENV LNCDS_FEEDBACK_DB=/data/ln-cds-feedback.sqlite3
VOLUME ["/data"]

USER lncds
EXPOSE 8080
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
