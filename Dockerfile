# syntax=docker/dockerfile:1

# Alpine: the only native modules, @node-rs/argon2 and @node-rs/bcrypt, ship
# prebuilt musl binaries (their -linux-*-musl packages are in the lock file),
# so nothing is compiled and the final image holds no build tools at all.
ARG NODE_IMAGE=node:20-alpine

# Production dependencies only. --ignore-scripts: `prepare` would run tsc,
# which is a dev dependency; no production dependency has an install script.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Compile: every dependency, then tsc. Only dist/src leaves this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# Runtime: node, the production node_modules, the compiled sources, the config.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# The URL the health check asks: change it with http.addr or http.tls
# (e.g. https://… needs a certificate node trusts: NODE_EXTRA_CA_CERTS).
ENV VRA_HEALTHCHECK_URL=http://127.0.0.1:5002/healthz
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY config ./config
# The embedded default config (plain `serve`) writes its users and keys next
# to config/, so let the unprivileged user create them there.
# /certs is where docker-compose.yml mounts the signing-keys volume; a new
# named volume takes this folder's owner, so the server may write its key.
RUN mkdir -p data certs /certs && chown node:node data certs /certs
# The image's own unprivileged user (uid 1000), never root.
USER node
# 5002: the token server (http.addr); 9102: /metrics when metrics.addr is :9102.
EXPOSE 5002 9102
# Liveness only (GET /healthz: the process answers). No curl or wget here:
# node's own fetch, with a deadline shorter than the check's timeout.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.VRA_HEALTHCHECK_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
