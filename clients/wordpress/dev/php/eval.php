<?php
/*
 * php eval.php RUN_DIR [CODE]   — run PHP CODE (no "<?php"; read from stdin when absent) inside
 * the run's WordPress after wp-load.php, at global scope. What CODE prints goes to stdout; an
 * uncaught error exits non-zero. wp-admin/includes/plugin.php and file.php are loaded too.
 */
require __DIR__ . '/bootstrap.php';
$pixpress_code = $argc >= 3 ? $argv[2] : stream_get_contents(STDIN);
/* A fatal error should exit non-zero with the message on stderr, not WordPress's HTML page. */
define('WP_DISABLE_FATAL_ERROR_HANDLER', true);
/* Loading WordPress here must not spawn WP-Cron (a loopback request to the server) as a page view
 * would: tests decide when cron runs. The mu-plugin pixpress-dev-env.php unhooks wp_cron when it
 * sees this constant (DISABLE_WP_CRON is left alone: plugin code may read it). */
define('PIXPRESS_DEV_CLI', true);
require_once PIXPRESS_WP_ROOT . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/media.php';
/* WP_DEBUG_DISPLAY is off for the web; here errors go to stderr (and to debug.log as well). */
ini_set('display_errors', 'stderr');
eval($pixpress_code);
