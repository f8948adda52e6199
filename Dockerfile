# One image for every Continuum service; the argument picks one:
#   docker build -t continuum .
#   docker run continuum apps/identity/dist/main.js
FROM node:26-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npx tsc -b apps/all-in-one/tsconfig.lib.json && npm prune --omit=dev

FROM node:26-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src /app
USER 10001
ENTRYPOINT ["node"]
CMD ["apps/all-in-one/dist/main.js"]
