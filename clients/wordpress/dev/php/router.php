<?php
/*
 * Router for `php -S 127.0.0.1:PORT -t /usr/share/wordpress router.php`.
 *
 * - /wp-content/... is served from the run's writable content dir (PIXPRESS_WP_CONTENT_DIR):
 *   static files with a Content-Type, .php files executed (plugin endpoints), else 404.
 * - Everything else comes from /usr/share/wordpress: static files are left to the built-in
 *   server, PHP scripts are required here, unknown paths go to index.php (front controller).
 *
 * Debian's wp-config.php picks /etc/wordpress/config-<WORDPRESS_CONFIG>.php when
 * $_SERVER['WORDPRESS_CONFIG'] is set; the built-in server does not copy the environment into
 * $_SERVER, so this router does it. That lets several test WordPresses run on 127.0.0.1 at once,
 * each on its own port with its own config and database.
 */

/* Everything here runs at global scope, where WordPress expects its files to be required, so
 * the router's own variables carry a prefix that WordPress does not use. */
$pixpress_router_config = getenv('PIXPRESS_WP_CONFIG');
$pixpress_router_content = rtrim((string) getenv('PIXPRESS_WP_CONTENT_DIR'), '/');
$pixpress_router_docroot = rtrim($_SERVER['DOCUMENT_ROOT'], '/');
if ($pixpress_router_config === false || $pixpress_router_content === '') {
    http_response_code(500);
    echo "router.php: PIXPRESS_WP_CONFIG and PIXPRESS_WP_CONTENT_DIR must be set\n";
    return true;
}
$_SERVER['WORDPRESS_CONFIG'] = $pixpress_router_config;

$pixpress_router_path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (strpos($pixpress_router_path, "\0") !== false || preg_match('#(^|/)\.\.(/|$)#', $pixpress_router_path)) {
    http_response_code(400);
    return true;
}

function pixpress_router_mime(string $file): string
{
    static $types = [
        'css' => 'text/css', 'js' => 'application/javascript', 'json' => 'application/json',
        'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'png' => 'image/png', 'gif' => 'image/gif',
        'webp' => 'image/webp', 'avif' => 'image/avif', 'svg' => 'image/svg+xml',
        'ico' => 'image/x-icon', 'woff' => 'font/woff', 'woff2' => 'font/woff2',
        'txt' => 'text/plain', 'html' => 'text/html', 'map' => 'application/json',
    ];
    $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
    if (isset($types[$ext])) {
        return $types[$ext];
    }
    $detected = function_exists('mime_content_type') ? mime_content_type($file) : false;
    return $detected ?: 'application/octet-stream';
}

/* Decide what to do: null = let the built-in server serve a static file from the docroot,
 * ['static', file] = send a file from the content dir, ['php', file, url] = run a script,
 * ['status', code] = answer with that status. */
function pixpress_router_route(string $path, string $docroot, string $content): array
{
    if ($path === '/wp-content' || strncmp($path, '/wp-content/', 12) === 0) {
        $file = $content . substr($path, strlen('/wp-content'));
        if (is_dir($file) && is_file(rtrim($file, '/') . '/index.php')) {
            return ['php', rtrim($file, '/') . '/index.php', rtrim($path, '/') . '/index.php'];
        }
        if (!is_file($file)) {
            return ['status', 404];
        }
        if (strtolower(pathinfo($file, PATHINFO_EXTENSION)) === 'php') {
            return ['php', $file, $path];
        }
        return ['static', $file];
    }
    $file = $docroot . $path;
    if (is_dir($file)) {
        if (substr($path, -1) !== '/') {
            return ['redirect', $path . '/'];
        }
        if (is_file($file . 'index.php')) {
            return ['php', $file . 'index.php', $path . 'index.php'];
        }
    }
    if (is_file($file)) {
        if (strtolower(pathinfo($file, PATHINFO_EXTENSION)) === 'php') {
            return ['php', $file, $path];
        }
        return ['builtin'];
    }
    /* Pretty permalinks and anything else unknown: WordPress's front controller decides. */
    return ['php', $docroot . '/index.php', '/index.php'];
}

$pixpress_router_route = pixpress_router_route(
    $pixpress_router_path,
    $pixpress_router_docroot,
    $pixpress_router_content
);
switch ($pixpress_router_route[0]) {
    case 'builtin':
        return false;
    case 'status':
        http_response_code($pixpress_router_route[1]);
        header('Content-Type: text/plain');
        echo "Not found\n";
        return true;
    case 'redirect':
        $pixpress_router_query = parse_url($_SERVER['REQUEST_URI'], PHP_URL_QUERY);
        header('Location: ' . $pixpress_router_route[1] . ($pixpress_router_query ? '?' . $pixpress_router_query : ''), true, 301);
        return true;
    case 'static':
        header('Content-Type: ' . pixpress_router_mime($pixpress_router_route[1]));
        header('Content-Length: ' . filesize($pixpress_router_route[1]));
        header('Last-Modified: ' . gmdate('D, d M Y H:i:s', filemtime($pixpress_router_route[1])) . ' GMT');
        if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') {
            readfile($pixpress_router_route[1]);
        }
        return true;
}
/* 'php': run the script as if the built-in server had picked it itself, at global scope. */
$_SERVER['SCRIPT_FILENAME'] = $pixpress_router_route[1];
$_SERVER['SCRIPT_NAME'] = $pixpress_router_route[2];
$_SERVER['PHP_SELF'] = $pixpress_router_route[2];
chdir(dirname($pixpress_router_route[1]));
require $pixpress_router_route[1];
return true;
