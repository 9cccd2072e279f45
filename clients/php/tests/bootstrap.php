<?php
// The library through its composer-less autoloader (what a WordPress plugin uses), the test helpers by PSR-4.
require __DIR__ . '/../autoload.php';

spl_autoload_register(function ($class) {
    $prefix = 'Pixpress\\Tests\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
