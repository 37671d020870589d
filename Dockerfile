# syntax=docker/dockerfile:1
# Panoramix in a container: one image for every process (start, serve, work, batch); the command picks one.
#   docker build -t panoramix .
#   docker run -p 8080:8080 -v panoramix:/var/lib/panoramix -v ./panoramix.yaml:/etc/panoramix/panoramix.yaml:ro panoramix
# The project file must listen on 0.0.0.0 (server.host) to be reachable from outside the container.
# examples/deploy/compose.yaml runs server mode with PostgreSQL, NATS and a TLS proxy (docs/operations.md).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
# npm ci runs `prepare`: the TypeScript build into dist/ and the dashboard into web/dist/.
RUN npm ci --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PANORAMIX_CONFIG=/etc/panoramix/panoramix.yaml
WORKDIR /opt/panoramix
COPY package.json package-lock.json ./
# Runtime dependencies only; the DuckDB binary comes in its npm package, so no install scripts are needed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY bin ./bin
COPY panoramix.schema.json README.md ./
COPY docs ./docs
COPY examples ./examples
RUN mkdir -p /var/lib/panoramix /etc/panoramix && chown node:node /var/lib/panoramix
USER node
# Relative paths in the project file resolve against its folder; the state (the DuckDB file, reports) belongs
# in the volume, e.g. store.path: /var/lib/panoramix/data/panoramix.duckdb.
WORKDIR /var/lib/panoramix
VOLUME /var/lib/panoramix
EXPOSE 8080
# SIGTERM (docker stop) drains the queue before the exit; give it time with --stop-timeout or stop_grace_period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/panoramix/bin/panoramix.js"]
CMD ["start"]
