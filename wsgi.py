"""The WSGI entry point of the production command: `gunicorn -c gunicorn.conf.py wsgi:app`.

gunicorn preloads this module in the master, then forks the workers. Everything built here
lives as long as the process, so it is frozen out of the cyclic garbage collector's reach:
a full collection in a worker then walks only what requests made, not the whole app (with
the app's objects in reach, one hook in three paid a ~25 ms collection: the p95/p99 of the
hook doubled), and the workers keep sharing the master's memory pages instead of copying
them when a collection touches them (see `gc.freeze` in the Python docs).
"""

import gc

from cds.web.app import create_app

app = create_app()
gc.freeze()
