#!/usr/bin/env bash
# Build one image per service from deploy/Dockerfile: sprpa/<service>:<tag>.
# Needs a Docker (or compatible) engine; without one it says so and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER="${DOCKER:-docker}"
TAG="${TAG:-$(git rev-parse --short HEAD 2>/dev/null || echo dev)}"
SERVICES=(web registry providers referral reports notify)

if ! command -v "$DOCKER" >/dev/null 2>&1; then
  echo "make images: no '$DOCKER' command here, so no image was built." >&2
  echo "  Install Docker (or set DOCKER=podman) on a machine with a container engine and run it there." >&2
  echo "  The Dockerfile, compose file and Kubernetes manifests are still checked offline by 'make test'." >&2
  exit 2
fi
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo "make images: '$DOCKER' is installed but no container engine answers it, so no image was built." >&2
  echo "  Start the engine (or point DOCKER_HOST at one) and run 'make images' again." >&2
  echo "  The Dockerfile, compose file and Kubernetes manifests are still checked offline by 'make test'." >&2
  exit 2
fi
for service in "${SERVICES[@]}"; do
  echo "building sprpa/${service}:${TAG}"
  "$DOCKER" build -f deploy/Dockerfile --target "$service" -t "sprpa/${service}:${TAG}" .
done
echo "built: $(printf 'sprpa/%s:'"$TAG"' ' "${SERVICES[@]}")"
