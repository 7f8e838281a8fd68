# syntax=docker/dockerfile:1.7
# gapwatch: build with dev dependencies, run with production ones only, as a non-root user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    GAPWATCH_HOST=0.0.0.0 \
    PORT=4000 \
    GAPWATCH_DATA_DIR=/data \
    GAPWATCH_CONFIG=/app/gapwatch.config.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The pages' own browser code is plain JavaScript, served from the source tree as written (src/http/pages.ts).
COPY --from=build /app/src/status/page ./src/status/page
COPY --from=build /app/src/explorer/page ./src/explorer/page
COPY package.json schema.graphql gapwatch.config.yaml ./
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 gets SIGTERM from `docker stop`; main.ts drains requests and exits 0.
CMD ["node", "dist/src/main.js"]
