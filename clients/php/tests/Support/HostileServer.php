<?php

namespace Pixpress\Tests\Support;

/** `php -S` on a free loopback port with hostile_router.php: answers too large for a client to hold. */
final class HostileServer
{
    private const STARTUP_TIMEOUT_S = 20.0;

    private static ?self $instance = null;

    public string $url;
    /** @var resource|null */
    private $process;

    public static function get(): self
    {
        if (self::$instance === null) {
            self::$instance = new self();
            register_shutdown_function([self::$instance, 'stop']);
        }
        return self::$instance;
    }

    private function __construct()
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException("no free port: $error");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        $port = (int) substr($name, strrpos($name, ':') + 1);
        $this->url = 'http://127.0.0.1:' . $port;
        $this->process = proc_open(
            [PHP_BINARY, '-S', '127.0.0.1:' . $port, __DIR__ . '/hostile_router.php'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'a'], 2 => ['file', '/dev/null', 'a']],
            $pipes
        );
        $deadline = microtime(true) + self::STARTUP_TIMEOUT_S;
        while (microtime(true) < $deadline) {
            $probe = @fsockopen('127.0.0.1', $port, $errno, $error, 1.0);
            if ($probe !== false) {
                fclose($probe);
                return;
            }
            usleep(100000);
        }
        $this->stop();
        throw new \RuntimeException('php -S did not start');
    }

    public function stop(): void
    {
        if (!is_resource($this->process)) {
            return;
        }
        proc_terminate($this->process, 9);
        proc_close($this->process);
        $this->process = null;
    }
}
