# doitong-mock in a container, on an official Python image by default. Any image with Python 3.11+
# (its venv module) and useradd will do, e.g. a local one when no registry is reachable:
#   docker build --build-arg PYTHON_IMAGE=my-local/python .
# The build installs the package's dependencies with pip (PyPI, or the index pip is configured for).
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/doitong-mock \
    PATH=/opt/doitong-mock/bin:$PATH

COPY pyproject.toml README.md /src/
COPY mockserver /src/mockserver
COPY fixtures /src/fixtures
RUN python3 -m venv /opt/doitong-mock \
 && /opt/doitong-mock/bin/pip install /src \
 && rm -rf /src \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin mock

USER mock
WORKDIR /home/mock
# Listen beyond loopback inside the container; cache rendered videos in the container's /tmp.
ENV DOITONG_MOCK_HOST=0.0.0.0 \
    DOITONG_MOCK_PORT=8080 \
    DOITONG_MOCK_MEDIA_DIR=/tmp/doitong-mock-media
EXPOSE 8080

HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=6 \
  CMD ["python3", "-m", "mockserver.healthcheck"]

# uvicorn handles SIGTERM and SIGINT itself, so the server shuts down cleanly even as PID 1,
# with or without an init (docker run --init) in front of it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["doitong-mock"]
