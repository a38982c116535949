# One image for the API, the workers and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PARSER_SERVICE_DATA_DIR=/data \
    PARSER_SERVICE_CACHE_DIR=/data/cache

# A compiler for the dependencies that build native code when no wheel fits.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# torch first, in its own layer, so a code change does not reinstall it.
COPY pyproject.toml README.md ./
RUN pip install torch==2.13.0

COPY parser_service parser_service
COPY workers workers
COPY migrations migrations
COPY plugins plugins
# Editable, so the migrations folder beside the package is found at run time.
RUN pip install -e . -e plugins/invoices -e plugins/bank_transactions

RUN useradd --create-home --uid 1000 parser \
    && mkdir -p /data /inbox \
    && chown parser:parser /data /inbox
USER parser
VOLUME ["/data"]
EXPOSE 8000

CMD ["parser-service", "api", "--host", "0.0.0.0", "--port", "8000"]
