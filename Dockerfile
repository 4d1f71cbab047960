# One image for all our Node services; docker-compose.yml picks the entry per service.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
ENV NODE_ENV=production
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY lambda ./lambda
COPY scripts ./scripts
# Prebuilt workflow bundle: the worker loads it instead of running webpack at start (WORKFLOW_BUNDLE_PATH).
RUN node --import tsx scripts/bundle-workflows.ts dist/workflow-bundle.js
# The services bind to all interfaces inside the container; compose publishes the ports.
ENV HTTP_HOST=0.0.0.0 OUTPUT_DIR=/app/output
USER node
CMD ["node", "--import", "tsx", "src/conversation/api/server.ts"]
