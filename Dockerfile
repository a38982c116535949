# One image for the API, the workers and beat; docker-compose.yml picks the command.
# Everything installs from the lock in requirements/ (exact versions, hashes checked, no
# resolution), with the CPU build of torch from PyTorch's own index: the registry's
# default torch is the multi-GB CUDA build.
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PARSER_SERVICE_DATA_DIR=/data \
    PARSER_SERVICE_CACHE_DIR=/data/cache

WORKDIR /app

# torch first, in its own layer, so a code change does not reinstall it.
COPY requirements/torch-cpu.txt requirements/torch-cpu.txt
RUN pip install --require-hashes --no-deps --index-url "$TORCH_INDEX" -r requirements/torch-cpu.txt

COPY requirements/main.txt requirements/main.txt
RUN pip install --require-hashes --no-deps -r requirements/main.txt

COPY pyproject.toml README.md ./
COPY parser_service parser_service
COPY workers workers
COPY migrations migrations
COPY plugins plugins
# Editable, so the migrations folder beside the package is found at run time; no
# dependencies here: the lock above installed them all.
RUN pip install --no-deps --no-build-isolation -e . -e plugins/invoices -e plugins/bank_transactions \
    && python -c "import parser_service, parser_service_invoices, parser_service_bank_transactions"

RUN useradd --create-home --uid 1000 parser \
    && mkdir -p /data /inbox \
    && chown parser:parser /data /inbox
USER parser
VOLUME ["/data"]
EXPOSE 8000

CMD ["parser-service", "api", "--host", "0.0.0.0", "--port", "8000"]
