#!/usr/bin/env bash
# Run PHP code inside the WordPress of RUN_DIR (after wp-load.php, with wp-admin's plugin,
# file, image and media includes loaded).
#
#   wp-php.sh RUN_DIR 'echo get_option("siteurl");'
#   echo 'var_dump(wp_get_attachment_metadata(5));' | wp-php.sh RUN_DIR
#
# Code is without "<?php". Its output goes to stdout; a fatal error exits non-zero.
set -euo pipefail
DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { echo "usage: wp-php.sh RUN_DIR [CODE]  (code from stdin when absent)" >&2; exit 2; }
exec php -d display_errors=stderr -d memory_limit=512M "$DEV_DIR/php/eval.php" "$@"
