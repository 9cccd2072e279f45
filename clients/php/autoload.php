<?php
/**
 * For sites without composer (a WordPress plugin): `require_once __DIR__ . '/pixpress/autoload.php';`
 * Maps Pixpress\Foo\Bar to src/Foo/Bar.php, the same PSR-4 rule composer.json declares.
 */

spl_autoload_register(function ($class) {
    $prefix = 'Pixpress\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
