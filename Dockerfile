# One image for every CityOps process; the command picks which one runs:
#   docker run cityops                   the vendors service (the default command)
#   docker run cityops serve gateway     the gateway
#   docker run cityops migrate vendors   a service's migrations, as a one-shot job
FROM python:3.11-slim

# Containers listen on every interface; the data folder is used only by `cityops run`.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/cityops/bin:$PATH \
    CITYOPS_HOST=0.0.0.0 \
    CITYOPS_DATA_DIR=/tmp/cityops

WORKDIR /app
COPY pyproject.toml ./
COPY services ./services
COPY gateway ./gateway
COPY cli ./cli
COPY migrations ./migrations

# Installed in place (editable): the migrations and the OpenAPI snapshots are found beside the code.
RUN python -m venv /opt/cityops \
    && /opt/cityops/bin/pip install --upgrade pip \
    && /opt/cityops/bin/pip install -e . \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent cityops

USER cityops
EXPOSE 8000 8001

ENTRYPOINT ["cityops"]
CMD ["serve", "vendors"]
