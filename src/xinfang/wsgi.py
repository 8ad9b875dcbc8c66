"""WSGI entry point for gunicorn (`make run`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
application = get_wsgi_application()

# The worker's long-lived objects (modules, models, every view the URLconf imports: about
# 130,000 tracked objects) are moved out of the collector's reach. Otherwise each full
# collection walks them all, and it falls on whichever request crosses the threshold: on the
# statistics page by week with its comparison, one request in 30 to 60 spent 110-160 ms in
# one collection (its median was about 200 ms), 6 ms once they were frozen (docs/benchmarks.md).
get_resolver().url_patterns  # noqa: B018 (imports the views now, so that they are frozen too)
gc.collect()
gc.freeze()
