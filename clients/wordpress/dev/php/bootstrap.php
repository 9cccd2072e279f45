<?php
/*
 * Shared start of the CLI scripts: reads RUN_DIR/env.json (written by wp-up.sh) and fills
 * $_SERVER the way a request to that WordPress would, so Debian's wp-config.php picks the run's
 * /etc/wordpress/config-<name>.php. Required at global scope; leaves $pixpress_env set.
 */
if (PHP_SAPI !== 'cli') {
    exit(1);
}
if ($argc < 2 || !is_file($argv[1] . '/env.json')) {
    fwrite(STDERR, "usage: php " . basename($argv[0]) . " RUN_DIR ...  (RUN_DIR/env.json from wp-up.sh)\n");
    exit(2);
}
$pixpress_env = json_decode(file_get_contents($argv[1] . '/env.json'), true);
$pixpress_url = parse_url($pixpress_env['url']);
$_SERVER['WORDPRESS_CONFIG'] = $pixpress_env['config_name'];
$_SERVER['HTTP_HOST'] = $pixpress_url['host'] . ':' . $pixpress_url['port'];
$_SERVER['SERVER_NAME'] = $pixpress_url['host'];
$_SERVER['SERVER_PORT'] = (string) $pixpress_url['port'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
unset($pixpress_url);
const PIXPRESS_WP_ROOT = '/usr/share/wordpress/';
