# syntax=docker/dockerfile:1
#
# DGX LLM Chat Gateway image. Multi-arch: the base is published for linux/arm64
# (DGX Spark) and linux/amd64, and nothing below is architecture specific:
#   docker buildx build --platform linux/arm64,linux/amd64 -t dgx-llm-gateway:0.1.0 .
# Nest 12 ships ESM only and is loaded through require(esm), which needs Node >= 20.19.

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
# swagger-ui-dist pulls in @scarf/scarf, whose postinstall phones home.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:20.19.5-bookworm-slim AS prod-deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# Runtime dependencies are pure JavaScript; skipping install scripts keeps
# third-party code from running at build time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.19.5-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies; node never runs as PID 1.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# The node image's unprivileged user, by number so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
# The API, and the Prometheus listener (METRICS_PORT): publish the second to the scraper only.
EXPOSE 8080 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# node directly, not `npm run start:prod`: npm does not forward SIGTERM reliably.
CMD ["node", "--no-memory-reducer", "--max-semi-space-size=32", "dist/apps/gateway/apps/gateway/src/main.js"]
