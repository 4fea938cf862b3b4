# syntax=docker/dockerfile:1

# Build: install everything, compile (npm ci runs the `prepare` script,
# `tsc -p tsconfig.json`), then drop the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The sources must be present before `npm ci`, since it compiles them.
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci \
 && npm prune --omit=dev

# Runtime: only what `node dist/src/cli.js` needs.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
# The embedded default config (plain `serve`) writes its users and keys next
# to config/, so let the unprivileged user create them there.
# /certs is where docker-compose.yml mounts the signing-keys volume; a new
# named volume takes this folder's owner, so the server may write its key.
RUN mkdir -p data certs /certs && chown node:node data certs /certs
USER node
EXPOSE 5002
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
