#!/bin/sh
# errcat's container entrypoint, also installed as `errcat` (so `docker exec CONTAINER errcat
# seed` works). With no arguments it runs `errcat serve`: migrate (unless ERRCAT_MIGRATE=0),
# seed (unless ERRCAT_SEED=0), then uvicorn with WEB_CONCURRENCY workers. A first argument that
# is a command on PATH (`sh`, `python`, `alembic`, ...) is run as given; anything else is taken
# as errcat's arguments (`migrate`, `seed [FILE]`, `--help`, ...).
#
# Signals: `exec` replaces this shell, so errcat's Python process is PID 1 and gets SIGTERM
# itself. While serving, uvicorn handles it: it stops accepting, finishes in-flight requests
# (for up to GRACEFUL_SHUTDOWN_SECONDS, 5 s by default), runs the app's shutdown hooks and
# exits. Before that (migrating, seeding: e.g. waiting on a database that does not answer)
# nothing would: the kernel drops a signal that PID 1 has no handler for, and the container
# would only die by SIGKILL when the stop timeout runs out. So errcat is started with a SIGTERM handler that exits with status 143 (128 + SIGTERM);
# uvicorn puts its own in place while it serves and restores this one afterwards (a single
# uvicorn process then exits 143 too; with WEB_CONCURRENCY > 1 the supervisor exits 0).
set -eu

errcat() {
  exec python -c '
import signal, sys
signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
from app.cli import main
sys.exit(main())
' "$@"
}

if [ "$(basename "$0")" = errcat ]; then
  errcat "$@"
fi
if [ "$#" -eq 0 ]; then
  errcat serve
fi
case "$1" in
  -*) errcat "$@" ;;
esac
if command -v "$1" >/dev/null 2>&1; then
  exec "$@"
fi
errcat "$@"
