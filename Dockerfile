# HumanGov on AWS: `humangov serve` with HUMANGOV_BACKEND=aws (DynamoDB + S3).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    HUMANGOV_BACKEND=aws \
    HUMANGOV_DATA_DIR=/var/lib/humangov

WORKDIR /app
COPY pyproject.toml README.md* ./
COPY src ./src
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /var/lib/humangov --create-home humangov

USER humangov
EXPOSE 8000
# The load balancer's target group checks /healthz too; this covers `docker run` alone.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["humangov", "serve", "--host", "0.0.0.0", "--port", "8000"]
