#!/usr/bin/env bash
# Start a Prefect server backed by PostgreSQL, a process work pool and a worker, register
# SIGAP's deployments, and start the report server for the UI's links. Run from the
# project root after ./dev setup:
#
#   SIGAP_HOME=$PWD SIGAP_CONFIG=/etc/sigap/sigap.toml infra/server.sh
#
# Environment (defaults in brackets):
#   PREFECT_DB_URL     the Prefect server's own database (not the registry's)
#                      [postgresql+asyncpg://postgres@127.0.0.1:5432/prefect]; created when
#                      missing, as the URL's user on the URL's host and port
#   PREFECT_PORT       port of the Prefect UI and API [4200]
#   SIGAP_LOG_DIR      where the server's and the report server's logs go
#                      [$XDG_STATE_HOME/sigap, i.e. ~/.local/state/sigap]
#   SIGAP_FILES_SERVER 1: start the report server (links.server_host/port) [1]
#   SIGAP_NOTIFY_BLOCK a Prefect notification block, <type>/<name> (e.g.
#                      slack-webhook/sigap-operators): late deliveries are notified there
#   SIGAP_DATABASE__URL the registry's URL with its password: export it here, the worker
#                      passes its environment to every run
#
# Telemetry is off (PREFECT_SERVER_ANALYTICS_ENABLED=false, DO_NOT_TRACK=1). The worker
# runs in the foreground; SIGTERM or Ctrl-C stops the worker, the report server and the
# Prefect server.
set -euo pipefail
cd "$(dirname "$0")/.."
export SIGAP_HOME=${SIGAP_HOME:-$PWD}
PORT=${PREFECT_PORT:-4200}
DB=${PREFECT_DB_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/prefect}
LOG_DIR=${SIGAP_LOG_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/sigap}
PREFECT=${PREFECT_BIN:-.venv/bin/prefect}
SIGAP=${SIGAP_BIN:-.venv/bin/sigap}
PYTHON=${SIGAP_PYTHON:-.venv/bin/python}

export PREFECT_API_DATABASE_CONNECTION_URL=$DB
export PREFECT_API_URL=http://127.0.0.1:$PORT/api
# the UI must be told its API when the port is not 4200
export PREFECT_UI_API_URL=$PREFECT_API_URL
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1
mkdir -p "$LOG_DIR"

if [[ $DB == postgresql* ]]; then
  # host, port, user, password and database name from the URL (psql's own variables)
  eval "$("$PYTHON" - "$DB" <<'PY'
import shlex, sys
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1])
for name, value in (("PGHOST", url.host or "127.0.0.1"), ("PGPORT", url.port or 5432),
                    ("PGUSER", url.username or "postgres"), ("PGPASSWORD", url.password or ""),
                    ("DBNAME", url.database or "prefect")):
    print(f"{name}={shlex.quote(str(value))}")
PY
)"
  export PGHOST PGPORT PGUSER
  if [[ -n $PGPASSWORD ]]; then export PGPASSWORD; fi
  psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1 \
    || psql -d postgres -c "CREATE DATABASE \"$DBNAME\""
  unset PGPASSWORD
fi

pids=()
stop() {
  trap - TERM INT
  echo "stopping the worker, the report server and the Prefect server"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit 0
}
trap stop TERM INT

"$PREFECT" server start --host 127.0.0.1 --port "$PORT" >"$LOG_DIR/prefect-server.log" 2>&1 &
pids+=($!)
echo "Prefect server starting on $PREFECT_API_URL (log: $LOG_DIR/prefect-server.log)"
for _ in $(seq 60); do
  "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$PREFECT_API_URL/health" >/dev/null 2>&1 && break
  sleep 1
done

if [[ ${SIGAP_FILES_SERVER:-1} == 1 ]]; then
  "$SIGAP" files-serve >"$LOG_DIR/report-server.log" 2>&1 &
  pids+=($!)
  if [[ -z ${SIGAP_LINKS__BASE_URL:-} ]]; then
    # the runs link to it unless the settings say where (links.base_url)
    base=$("$PYTHON" -c "from core.settings import load_settings; s = load_settings(); print(s.links.base_url or f'http://{s.links.server_host}:{s.links.server_port}/')")
    export SIGAP_LINKS__BASE_URL=$base
  fi
  echo "report server on $SIGAP_LINKS__BASE_URL (log: $LOG_DIR/report-server.log)"
fi

"$PREFECT" work-pool create sigap-process --type process >/dev/null 2>&1 || true
"$PREFECT" deploy --all --prefect-file infra/prefect.yaml
if [[ -n ${SIGAP_NOTIFY_BLOCK:-} ]]; then
  "$PYTHON" -m infra.automations --block "$SIGAP_NOTIFY_BLOCK"
fi

"$PREFECT" worker start --pool sigap-process &
pids+=($!)
wait "${pids[-1]}" || true
stop
