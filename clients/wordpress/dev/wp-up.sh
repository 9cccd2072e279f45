#!/usr/bin/env bash
# Bring up a throwaway local WordPress (Debian's package, a real MariaDB database, php -S).
#
#   wp-up.sh RUN_DIR
#
# RUN_DIR (e.g. /tmp/pixpress-wp/manual) receives wp-content/ (writable: uploads, plugins with a
# symlink to clients/wordpress/pixpress when it exists, themes, mu-plugins), env.json,
# server.log, server.pid and debug.log. Prints env.json on stdout (progress goes to stderr):
#   {"url", "admin_user", "admin_password", "app_password", "content_dir", "pid", "port",
#    "db_name", "config_name", "config_file", "run_dir"}
#
# Environment (all optional):
#   WP_PORT            port on 127.0.0.1 (default 8089)
#   WP_NAME            instance name, [a-z0-9-] (default: RUN_DIR's base name); names the
#                      database pxwp_<name> and /etc/wordpress/config-pixpress-<name>.php
#   WP_ADMIN_USER      admin login (default admin)
#   WP_ADMIN_PASSWORD  admin password (default: random)
#   WP_SERVER_WORKERS  PHP_CLI_SERVER_WORKERS for php -S (default 4; WP-Cron's loopback needs >1)
#   WP_SKIP_DEPS=1     do not check/install the Debian packages
#
# Idempotent: when RUN_DIR's server is still answering, prints its env.json and exits 0.
# Otherwise it starts over with a fresh database. Needs root (apt, /etc/wordpress, MariaDB root
# over the socket).
set -euo pipefail

DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$DEV_DIR/../../.." && pwd)"
WP_ROOT=/usr/share/wordpress

log() { echo "wp-up: $*" >&2; }
die() { echo "wp-up: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: wp-up.sh RUN_DIR"
mkdir -p "$1"
RUN_DIR="$(cd "$1" && pwd)"
PORT="${WP_PORT:-8089}"
NAME="${WP_NAME:-$(basename "$RUN_DIR")}"
NAME="$(echo "$NAME" | tr 'A-Z_' 'a-z-' | tr -cd 'a-z0-9-' | cut -c1-40)"
[ -n "$NAME" ] || die "empty instance name"
ADMIN_USER="${WP_ADMIN_USER:-admin}"
ADMIN_PASSWORD="${WP_ADMIN_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
WORKERS="${WP_SERVER_WORKERS:-4}"
CONFIG_NAME="pixpress-$NAME"
CONFIG_FILE="/etc/wordpress/config-$CONFIG_NAME.php"
DB_NAME="pxwp_$(echo "$NAME" | tr '-' '_')"
DB_USER="$DB_NAME"
DB_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
CONTENT_DIR="$RUN_DIR/wp-content"
URL="http://127.0.0.1:$PORT"
START=$(date +%s.%N)

# --- already up? ------------------------------------------------------------------------
if [ -f "$RUN_DIR/env.json" ] && [ -f "$RUN_DIR/server.pid" ] \
    && kill -0 "$(cat "$RUN_DIR/server.pid")" 2>/dev/null \
    && curl -fsS -o /dev/null --max-time 5 "$(php -r 'echo json_decode(file_get_contents($argv[1]))->url;' "$RUN_DIR/env.json")/wp-includes/images/blank.gif"; then
    log "already up ($RUN_DIR)"
    cat "$RUN_DIR/env.json"
    exit 0
fi
if [ -f "$RUN_DIR/server.pid" ] || [ -f "$RUN_DIR/env.json" ]; then
    log "stale run in $RUN_DIR: taking it down first"
    "$DEV_DIR/wp-down.sh" "$RUN_DIR" >&2 || true
fi

# --- packages and MariaDB -----------------------------------------------------------------
if [ "${WP_SKIP_DEPS:-0}" != 1 ]; then
    "$DEV_DIR/wp-deps.sh"
fi
command -v php >/dev/null || die "php missing"
[ -f "$WP_ROOT/wp-load.php" ] || die "$WP_ROOT missing (Debian package wordpress)"

if ! mariadb-admin ping >/dev/null 2>&1; then
    log "starting mariadbd"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 60); do
        mariadb-admin ping >/dev/null 2>&1 && break
        sleep 0.5
    done
    mariadb-admin ping >/dev/null 2>&1 || die "mariadbd did not start"
fi

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
    die "port $PORT already answers: pick another WP_PORT"
fi

# --- fresh database -----------------------------------------------------------------------
log "database $DB_NAME"
mariadb -uroot <<SQL
DROP DATABASE IF EXISTS \`$DB_NAME\`;
CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
SQL

# --- writable content dir -----------------------------------------------------------------
mkdir -p "$CONTENT_DIR"/{plugins,themes,uploads,mu-plugins,upgrade}
# Without a theme WordPress answers every front-end page with an empty 200: refuse to start instead.
themes=("$WP_ROOT"/wp-content/themes/*/)
if [ ! -d "${themes[0]}" ]; then
    echo "wp-up: no theme under $WP_ROOT/wp-content/themes (install wordpress-theme-twentytwentythree)" >&2
    exit 1
fi
for theme in "${themes[@]}"; do
    ln -sfn "${theme%/}" "$CONTENT_DIR/themes/$(basename "$theme")"
done
ln -sfn "$DEV_DIR/mu-plugins/pixpress-dev-env.php" "$CONTENT_DIR/mu-plugins/pixpress-dev-env.php"
if [ -d "$REPO_ROOT/clients/wordpress/pixpress" ]; then
    ln -sfn "$REPO_ROOT/clients/wordpress/pixpress" "$CONTENT_DIR/plugins/pixpress"
    log "plugin pixpress linked from $REPO_ROOT/clients/wordpress/pixpress"
fi

# --- config for Debian's wp-config.php ----------------------------------------------------
salt() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n'; }
mkdir -p /etc/wordpress
cat > "$CONFIG_FILE" <<PHP
<?php
/* Written by clients/wordpress/dev/wp-up.sh for $RUN_DIR; removed by wp-down.sh. */
define('DB_NAME', '$DB_NAME');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', 'localhost');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', '$URL');
define('WP_SITEURL', '$URL');
define('WP_CONTENT_DIR', '$CONTENT_DIR');
define('WP_CONTENT_URL', '$URL/wp-content');
/* Application passwords over plain http need a local environment. */
define('WP_ENVIRONMENT_TYPE', 'local');
/* No internet: only this machine, and no updates. */
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('FS_METHOD', 'direct');
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '$RUN_DIR/debug.log');
define('WP_DEBUG_DISPLAY', false);
define('AUTH_KEY', '$(salt)');
define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');
define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');
define('NONCE_SALT', '$(salt)');
\$table_prefix = 'wp_';
PHP

# --- env.json (read by the PHP scripts, printed at the end) ---------------------------------
write_env() {
    PX_URL="$URL" PX_PORT="$PORT" PX_ADMIN_USER="$ADMIN_USER" PX_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    PX_APP_PASSWORD="${1:-}" PX_CONTENT_DIR="$CONTENT_DIR" PX_PID="${2:-0}" PX_DB_NAME="$DB_NAME" \
    PX_CONFIG_NAME="$CONFIG_NAME" PX_CONFIG_FILE="$CONFIG_FILE" PX_RUN_DIR="$RUN_DIR" \
    php -r '
        $e = fn($k) => getenv("PX_" . $k);
        echo json_encode([
            "url" => $e("URL"), "port" => (int) $e("PORT"),
            "admin_user" => $e("ADMIN_USER"), "admin_password" => $e("ADMIN_PASSWORD"),
            "admin_email" => "admin@example.test", "app_password" => $e("APP_PASSWORD"),
            "content_dir" => $e("CONTENT_DIR"), "pid" => (int) $e("PID"),
            "db_name" => $e("DB_NAME"), "config_name" => $e("CONFIG_NAME"),
            "config_file" => $e("CONFIG_FILE"), "run_dir" => $e("RUN_DIR"),
        ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' > "$RUN_DIR/env.json.tmp"
    mv "$RUN_DIR/env.json.tmp" "$RUN_DIR/env.json"
}
write_env "" 0

# --- php -S -------------------------------------------------------------------------------
# setsid: the server and its workers get their own process group (= the pid written to
# server.pid), which wp-down.sh signals as a whole; killing only the master leaves the
# workers holding the port.
log "php -S 127.0.0.1:$PORT (PHP_CLI_SERVER_WORKERS=$WORKERS)"
: > "$RUN_DIR/server.log"
PHP_CLI_SERVER_WORKERS="$WORKERS" PIXPRESS_WP_CONFIG="$CONFIG_NAME" PIXPRESS_WP_CONTENT_DIR="$CONTENT_DIR" \
    setsid sh -c 'echo $$ > "$0/server.pid"; exec php -d upload_max_filesize=64M -d post_max_size=64M -d memory_limit=512M -S "127.0.0.1:$1" -t "$2" "$3"' \
    "$RUN_DIR" "$PORT" "$WP_ROOT" "$DEV_DIR/php/router.php" \
    >> "$RUN_DIR/server.log" 2>&1 < /dev/null &
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 2 "$URL/wp-includes/images/blank.gif" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null --max-time 2 "$URL/wp-includes/images/blank.gif" \
    || die "php -S did not come up on $PORT; see $RUN_DIR/server.log"
PID="$(cat "$RUN_DIR/server.pid")"

# --- install + application password --------------------------------------------------------
log "installing WordPress at $URL"
APP_PASSWORD="$(php "$DEV_DIR/php/install.php" "$RUN_DIR" | php -r 'echo json_decode(stream_get_contents(STDIN))->app_password;')"
[ -n "$APP_PASSWORD" ] || die "no application password"
write_env "$APP_PASSWORD" "$PID"

# --- prove it: the REST API accepts the application password over HTTP -----------------------
status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -u "$ADMIN_USER:$APP_PASSWORD" \
    "$URL/?rest_route=/wp/v2/users/me")"
[ "$status" = 200 ] || die "REST users/me with the application password answered $status"

log "up in $(php -r "printf('%.1f', microtime(true) - $START);")s: $URL (admin $ADMIN_USER)"
cat "$RUN_DIR/env.json"
