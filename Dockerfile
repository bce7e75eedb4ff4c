# The Lookout image: the four exporters, the simulators, the demo's webhook receiver and
# control API. docker-compose.yml runs every Lookout service from this one image.
FROM python:3.11.9-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /opt/lookout

COPY pyproject.toml setup.py requirements.lock ./
COPY lookout ./lookout
# The commit the image is built from, for --version and <ns>_build_info{revision} (no .git here):
#   docker-compose build --build-arg LOOKOUT_REVISION=$(git rev-parse HEAD)
ARG LOOKOUT_REVISION=unknown
# The runtime dependencies of pyproject.toml at the versions requirements.lock pins.
RUN pip install --no-cache-dir -c requirements.lock . \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin lookout

# Services that need the Docker socket or PM2's socket run as root (see docker-compose.yml).
USER lookout
EXPOSE 9861 9862 9863 9864
CMD ["python", "-m", "lookout.cli", "--help"]
