# arbstream services image (ingest, stream worker, executor, sink).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ make nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/compile_contracts.js && pip install --no-cache-dir -e .
ENTRYPOINT ["arbstream"]
