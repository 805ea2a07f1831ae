# syntax=docker/dockerfile:1
# Self-hosted CI Concat engine. One image for both processes:
#   API (default):  node dist/src/api-main.js          (listens on PORT, default 8080)
#   worker:         node dist/workers/concat-worker.js (override the command; no HTTP port)

# ---- builder: full install (dev dependencies included) and TypeScript build ----
FROM node:22-bookworm-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
COPY packaging ./packaging
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY cli ./cli
RUN npm run build

# ---- runtime: production dependencies, compiled output, ffmpeg and CJK fonts ----
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/app/data

# ffmpeg/ffprobe for the worker; fonts for Text watermarks (src/media/fonts.ts): fonts-noto-cjk for
# Chinese and the fallback, fonts-liberation for the Arial/Helvetica-like Latin faces.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
COPY packaging ./packaging
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=builder /app/dist ./dist

# The worker keeps its temp files under DATA_DIR; it must be writable by the non-root user
# (a named volume mounted here inherits this ownership on first use).
RUN mkdir -p /app/data && chown -R node:node /app/data

USER node

EXPOSE 8080

# No curl in slim images: probe /healthz with node's own fetch. The worker has no HTTP port;
# docker-compose.yml disables this check for the worker service.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

CMD ["node", "dist/src/api-main.js"]
