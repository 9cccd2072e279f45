#!/usr/bin/env bash
# Activate a plugin of the WordPress in RUN_DIR by its folder name (wp-content/plugins/SLUG).
#
#   wp-activate-plugin.sh RUN_DIR SLUG
#
# Prints the plugin file that was activated (e.g. pixpress/pixpress.php); exits non-zero when
# the folder has no plugin or activation fails (activation errors are printed).
set -euo pipefail
DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 2 ] || { echo "usage: wp-activate-plugin.sh RUN_DIR SLUG" >&2; exit 2; }
exec "$DEV_DIR/wp-php.sh" "$1" "$(cat <<PHP
\$slug = '$(printf '%s' "$2" | tr -cd 'A-Za-z0-9._-')';
wp_cache_delete('plugins', 'plugins');
\$file = null;
foreach (array_keys(get_plugins()) as \$candidate) {
    if (strpos(\$candidate, \$slug . '/') === 0 || \$candidate === \$slug . '.php') {
        \$file = \$candidate;
        break;
    }
}
if (\$file === null) {
    fwrite(STDERR, "no plugin in wp-content/plugins/\$slug\n");
    exit(1);
}
\$result = activate_plugin(\$file);
if (is_wp_error(\$result)) {
    fwrite(STDERR, 'activation failed: ' . \$result->get_error_message() . "\n");
    exit(1);
}
if (!is_plugin_active(\$file)) {
    fwrite(STDERR, "\$file is not active after activation\n");
    exit(1);
}
echo \$file, "\n";
PHP
)"
