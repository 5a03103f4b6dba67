# syntax=docker/dockerfile:1
# ragline as a container: `ragline serve` by default, `ragline worker` with `command: ["worker"]`.
#   docker build -t ragline .
#   docker run -e RAGLINE_API_KEYS=... -e DATABASE_URL=... -p 8787:8787 ragline
# See docker-compose.yml for serve + worker beside Postgres. test/docker.test.ts runs the runtime
# stage's install and start commands on the packed package, so keep them relative to WORKDIR.

# Build: every dependency, compile, and pack exactly what npm would publish.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && mkdir -p /pkg && npm pack --ignore-scripts --pack-destination /pkg && mv /pkg/ragline-*.tgz /pkg/ragline.tgz

# Runtime: the packed package with production dependencies only, run as the unprivileged `node` user.
FROM node:20-bookworm-slim AS runtime
# Without DATABASE_URL the embedded store lives in the node user's home (mount a volume there to keep it).
ENV NODE_ENV=production \
    RAGLINE_DATA_DIR=/home/node/ragline-data
WORKDIR /app
COPY --from=build /pkg/ragline.tgz ./ragline.tgz
COPY --from=build /src/package-lock.json ./package-lock.json
RUN tar -xzf ragline.tgz --strip-components=1 && rm ragline.tgz
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
USER node
EXPOSE 8787
# /healthz checks the database too (503 when it does not answer); it needs no API key.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
# Listening beyond loopback requires RAGLINE_API_KEYS (the server refuses to start without).
CMD ["serve", "--host", "0.0.0.0", "--port", "8787"]
