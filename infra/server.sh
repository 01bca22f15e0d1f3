#!/usr/bin/env bash
# Start a Prefect server backed by PostgreSQL, a process work pool and a worker, then
# register SIGAP's deployments. Run from the project root after ./dev setup.
#
#   SIGAP_HOME=$PWD SIGAP_CONFIG=/etc/sigap/sigap.toml infra/server.sh
#
# Environment (defaults in brackets):
#   PREFECT_DB_URL   [postgresql+asyncpg://postgres@127.0.0.1:5432/prefect]
#   PREFECT_PORT     [4200]
set -euo pipefail
cd "$(dirname "$0")/.."
export SIGAP_HOME=${SIGAP_HOME:-$PWD}
PORT=${PREFECT_PORT:-4200}
DB=${PREFECT_DB_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/prefect}
export PREFECT_API_DATABASE_CONNECTION_URL=$DB
export PREFECT_API_URL=http://127.0.0.1:$PORT/api
# the UI must be told its API when the port is not 4200
export PREFECT_UI_API_URL=$PREFECT_API_URL
PREFECT=.venv/bin/prefect

if [[ $DB == postgresql* ]]; then
  dbname=${DB##*/}
  psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE $dbname"
fi

$PREFECT server start --host 127.0.0.1 --port "$PORT" > "${SIGAP_HOME}/prefect-server.log" 2>&1 &
echo "Prefect server starting on $PREFECT_API_URL (log: prefect-server.log)"
for _ in $(seq 60); do curl -fs "$PREFECT_API_URL/health" >/dev/null && break; sleep 1; done

$PREFECT work-pool create sigap-process --type process 2>/dev/null || true
$PREFECT deploy --all --prefect-file infra/prefect.yaml
exec $PREFECT worker start --pool sigap-process
