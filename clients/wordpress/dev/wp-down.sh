#!/usr/bin/env bash
# Stop a WordPress started by wp-up.sh and drop what it created outside RUN_DIR.
#
#   wp-down.sh RUN_DIR [--purge]
#
# Stops php -S (its whole process group, workers included), drops the database and its user,
# removes /etc/wordpress/config-<name>.php and RUN_DIR/env.json. --purge also deletes RUN_DIR.
# Safe to run twice.
set -uo pipefail

log() { echo "wp-down: $*" >&2; }
[ $# -ge 1 ] || { log "usage: wp-down.sh RUN_DIR [--purge]"; exit 2; }
RUN_DIR="$1"
PURGE="${2:-}"
[ -d "$RUN_DIR" ] || { log "$RUN_DIR: nothing there"; exit 0; }
RUN_DIR="$(cd "$RUN_DIR" && pwd)"

# Whether any process of group $1 is still running (zombies do not count: where nothing reaps the
# server's processes after wp-up.sh has exited, they stay <defunct> but hold no port).
group_running() {
    ps -o stat= -g "$1" 2>/dev/null | grep -qv '^Z'
}

if [ -f "$RUN_DIR/server.pid" ]; then
    pid="$(cat "$RUN_DIR/server.pid")"
    if [ -n "$pid" ] && group_running "$pid"; then
        # The pid is the process-group leader (setsid in wp-up.sh): signal the group, workers too.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do
            group_running "$pid" || break
            sleep 0.1
        done
        if group_running "$pid"; then
            kill -KILL -- "-$pid" 2>/dev/null
        fi
        log "stopped php -S (pid $pid)"
    fi
    rm -f "$RUN_DIR/server.pid"
fi

if [ -f "$RUN_DIR/env.json" ]; then
    read -r db_name config_file < <(php -r '$e = json_decode(file_get_contents($argv[1]), true);
        echo $e["db_name"], " ", $e["config_file"], "\n";' "$RUN_DIR/env.json")
    case "$db_name" in
        pxwp_*)
            if mariadb-admin ping >/dev/null 2>&1; then
                mariadb -uroot -e "DROP DATABASE IF EXISTS \`$db_name\`; DROP USER IF EXISTS '$db_name'@'localhost';" \
                    && log "dropped database $db_name"
            else
                log "mariadb not running: database $db_name left"
            fi ;;
    esac
    case "$config_file" in
        /etc/wordpress/config-pixpress-*.php) rm -f "$config_file" ;;
    esac
    rm -f "$RUN_DIR/env.json"
fi

if [ "$PURGE" = --purge ]; then
    rm -rf "$RUN_DIR"
    log "removed $RUN_DIR"
fi
exit 0
