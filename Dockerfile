# One image for all our Node services; docker-compose.yml picks the entry per service.
# Build stage: compile the TypeScript to dist/ and prebuild the workflow bundle, with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY lambda ./lambda
COPY scripts ./scripts
RUN node scripts/build-services.mjs --force \
  && node dist/scripts/bundle-workflows.js dist/workflow-bundle.js

# Runtime stage: production dependencies and the compiled code only; the services run under plain node.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
ENV NODE_ENV=production
COPY --from=build /app/dist ./dist
# The services bind to all interfaces inside the container; compose publishes the ports.
ENV HTTP_HOST=0.0.0.0 OUTPUT_DIR=/app/output
USER node
CMD ["node", "dist/src/api/server.js"]
