# Tsunagu (つなぐ) — one image for web (gunicorn), worker and beat (celery), and migrate.
#
#   docker compose up -d --build          (see docs/deployment.md)
#
# Stage 1 builds a virtualenv with `pip install .` (the project and its pinned
# dependencies from pyproject.toml). Stage 2 copies only that virtualenv and manage.py:
# the code runs from site-packages, exactly as installed, with no second copy in /app.
# All dependencies ship manylinux wheels, so no compiler is installed.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# A closed network (LGWAN) builds against its own mirror:
#   docker compose build --build-arg PIP_INDEX_URL=https://pypi.mirror.example.lg.jp/simple
ARG PIP_INDEX_URL=https://pypi.org/simple

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY . .
RUN pip install . && pip check

# --- runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="tsunagu" \
      org.opencontainers.image.description="つなぐ — 協働マッチング・コーディネート platform"

# TSUNAGU_VAR_DIR and STATIC_ROOT are set explicitly: settings.BASE_DIR is site-packages
# in this image, so the development defaults (BASE_DIR/var) would point inside the venv.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=tsunagu.settings \
    TSUNAGU_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 tsunagu \
 && useradd --system --uid 10001 --gid tsunagu --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin tsunagu

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py ./

# collectstatic at build time, with DEBUG=false so whitenoise's compressed manifest storage
# writes hashed, pre-compressed files. The key below only lets settings load for this one
# command; it is not in the image's environment and is never used to sign anything.
ARG BUILD_SECRET_KEY=collectstatic-only-build-time-key-not-used-at-runtime-0123456789
RUN SECRET_KEY="${BUILD_SECRET_KEY}" \
    DEBUG=false \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    TSUNAGU_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-var /tmp/build.sqlite3 \
 && mkdir -p /app/var/index /app/var/media \
 && chown -R tsunagu:tsunagu /app/var

USER tsunagu:tsunagu

EXPOSE 8000

# No HEALTHCHECK here: the same image runs web, worker, beat and migrate, and each needs a
# different probe (or none); docker-compose.yml defines them per service.

# gunicorn: WEB_CONCURRENCY worker processes (default 3, override in .env) x 4 threads.
# /dev/shm for worker heartbeat files (the overlay filesystem can stall them); recycle
# workers now and then; access and error logs to stdout/stderr for `docker compose logs`.
CMD ["gunicorn", "tsunagu.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--threads", "4", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-"]
