#!/bin/sh
# LocalStack "ready" hook: nothing to do inside the container. GymIT's tables, topics,
# queues and secrets are created from template.yaml by `gymit-local provision`, run on the
# host once LocalStack answers (it is idempotent; `make dev` runs it too):
#   AWS_ENDPOINT_URL=http://127.0.0.1:4566 target/debug/gymit-local provision
echo "LocalStack is ready for GymIT: run 'AWS_ENDPOINT_URL=http://127.0.0.1:4566 make dev' on the host"
