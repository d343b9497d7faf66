# syntax=docker/dockerfile:1
#
# Keyward: one image holding the API and the console it serves.
#   docker build -t keyward .
#   docker compose up        (PostgreSQL, Redis, two replicas of this image behind nginx;
#                            see docker-compose.yml)
#
# Runtime layout (WORKDIR /app), mirroring the repository so the API finds the console build
# at its default path (apps/api/dist/config -> ../../../web/dist):
#   /app/apps/api/dist/main.js      the API entry
#   /app/apps/api/node_modules      production dependencies only, @keyward/shared included
#   /app/apps/web/dist              the built console (WEB_DIST_DIR points here too)
#   /data                           DATA_DIR: embedded database and generated secrets, a volume

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, build shared -> api -> web, then cut a production tree ----
FROM ${NODE_IMAGE} AS build
# Corepack is unreliable here; npm installs the exact pnpm the repository pins.
RUN npm install -g pnpm@10.34.8 && npm cache clean --force
ENV CI=true
WORKDIR /repo

# Dependencies first, keyed on the lockfile alone, so source edits reuse this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch

COPY . .
RUN pnpm install --offline --frozen-lockfile
RUN pnpm build

# A self-contained copy of the API with production dependencies only. --legacy because the
# workspace does not use injected packages; @keyward/shared is copied in, dist/ included.
RUN pnpm --filter @keyward/api deploy --prod --legacy --offline /out/apps/api \
 && test -f /out/apps/api/dist/main.js \
 && test -f apps/web/dist/index.html \
 && cd /out/apps/api \
 && node --input-type=module -e "await import('reflect-metadata'); await import('@keyward/shared');"

# ---- runtime: Node, the built API with its production dependencies, and the console ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    WEB_DIST_DIR=/app/apps/web/dist
WORKDIR /app

COPY --from=build /out/apps/api/package.json apps/api/package.json
COPY --from=build /out/apps/api/node_modules apps/api/node_modules
COPY --from=build /out/apps/api/dist apps/api/dist
COPY --from=build /repo/apps/web/dist apps/web/dist

# Code stays root-owned (read-only to the app). The node image's unprivileged user owns only
# the data directory, and a fresh named volume mounted there inherits that ownership.
RUN mkdir -p /data && chown node:node /data
USER node

EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Migrations run at start-up (under an advisory lock), so the container needs nothing else.
CMD ["node", "apps/api/dist/main.js"]
