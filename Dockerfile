# changebot for docker-compose: one image for the web app, the sender workers and the scheduler.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
WORKDIR /app

# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ingest ./ingest
RUN pip install .
COPY knowledge ./knowledge

RUN useradd --create-home changebot && mkdir -p /app/data && chown changebot /app/data
USER changebot
EXPOSE 8000
CMD ["changebot", "serve", "--host", "0.0.0.0", "--port", "8000"]
