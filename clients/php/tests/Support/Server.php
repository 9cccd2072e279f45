<?php

namespace Pixpress\Tests\Support;

/**
 * A real `pixpress serve` on a free loopback port, started on first use and stopped when PHPUnit exits,
 * with its data dir, tokens file and log in a temporary folder. One server for the whole run: it takes
 * seconds to start, and every test uses its own tokens so tests do not see each other's usage.
 */
final class Server
{
    public const ADMIN_TOKEN = 'php-admin-token-0123456789';
    public const MAX_PENDING = 1;
    /** token => quota_mb */
    public const TOKENS = [
        'php-e2e' => 1000,
        'php-tiny' => 0.05, // below one corpus photo: quota_exceeded on the first upload
        'php-pending' => 1000,
        'php-idem' => 1000,
        'php-reset' => 1000,
        'php-auto' => 1000,
        'php-library' => 1000,
        'php-reuse' => 1000,
    ];
    private const STARTUP_TIMEOUT_S = 90.0;

    private static ?self $instance = null;

    public string $url;
    private string $dir;
    /** @var resource */
    private $process;

    public static function get(): self
    {
        if (self::$instance === null) {
            self::$instance = new self();
            register_shutdown_function([self::$instance, 'stop']);
        }
        return self::$instance;
    }

    public static function repoRoot(): string
    {
        return getenv('PIXPRESS_REPO_ROOT') ?: dirname(__DIR__, 4);
    }

    public static function corpus(string $name): string
    {
        $root = getenv('PIXPRESS_CORPUS') ?: self::repoRoot() . '/corpus';
        return $root . '/photo/' . $name;
    }

    private function __construct()
    {
        $binary = getenv('PIXPRESS_BIN') ?: self::repoRoot() . '/.venv/bin/pixpress';
        if (!is_executable($binary)) {
            throw new \RuntimeException("$binary not found: run `make install` at the repo root first");
        }
        $this->dir = sys_get_temp_dir() . '/pixpress-php-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/data', 0700, true);
        $tokens = '';
        foreach (self::TOKENS as $token => $quotaMb) {
            $tokens .= sprintf("[tokens.\"%s\"]\nquota_mb = %s\n\n", $token, var_export($quotaMb, true));
        }
        file_put_contents($this->dir . '/tokens.toml', $tokens);
        $port = self::freePort();
        $this->url = 'http://127.0.0.1:' . $port;
        $env = getenv() + [];
        $env = array_merge($env, [
            'PIXPRESS_ENVIRONMENT' => 'development',
            'PIXPRESS_DATA_DIR' => $this->dir . '/data',
            'PIXPRESS_ADMIN_TOKENS' => self::ADMIN_TOKEN,
            'PIXPRESS_TOKENS_FILE' => $this->dir . '/tokens.toml',
            'PIXPRESS_MAX_PENDING_PER_TOKEN' => (string) self::MAX_PENDING,
            'PIXPRESS_WORKERS' => '1', // two cores shared with other work
            'PIXPRESS_LOG_LEVEL' => 'WARNING',
        ]);
        $log = $this->dir . '/serve.log';
        $this->process = proc_open(
            [$binary, 'serve', '--host', '127.0.0.1', '--port', (string) $port],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
            $pipes,
            self::repoRoot(),
            $env
        );
        if (!is_resource($this->process)) {
            throw new \RuntimeException("cannot start $binary");
        }
        $this->waitUntilHealthy();
    }

    private function waitUntilHealthy(): void
    {
        $deadline = microtime(true) + self::STARTUP_TIMEOUT_S;
        while (microtime(true) < $deadline) {
            if (!proc_get_status($this->process)['running']) {
                throw new \RuntimeException("pixpress serve exited early:\n" . $this->log());
            }
            $handle = curl_init($this->url . '/health');
            curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
            curl_exec($handle);
            $status = curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
            curl_close($handle);
            if ($status === 200) {
                return;
            }
            usleep(200000);
        }
        $this->stop();
        throw new \RuntimeException("pixpress serve not healthy after " . self::STARTUP_TIMEOUT_S . " s:\n" . $this->log());
    }

    /** SIGTERM (serve stops its worker), then SIGKILL for anything of ours still alive. */
    public function stop(): void
    {
        if (!is_resource($this->process)) {
            return;
        }
        $pid = proc_get_status($this->process)['pid'];
        $family = array_merge([$pid], self::descendants($pid));
        proc_terminate($this->process, 15);
        $deadline = microtime(true) + 30;
        while (proc_get_status($this->process)['running'] && microtime(true) < $deadline) {
            usleep(100000);
        }
        foreach ($family as $member) {
            if (file_exists("/proc/$member")) {
                posix_kill($member, 9);
            }
        }
        proc_close($this->process);
        $this->process = null;
        self::removeTree($this->dir);
    }

    public function log(): string
    {
        $text = (string) @file_get_contents($this->dir . '/serve.log');
        return substr($text, -6000);
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException("no free port: $error");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    /** @return list<int> */
    private static function descendants(int $pid): array
    {
        $found = [];
        $frontier = [$pid];
        while ($frontier) {
            $parent = array_pop($frontier);
            $children = @file_get_contents("/proc/$parent/task/$parent/children");
            foreach (preg_split('/\s+/', trim((string) $children), -1, PREG_SPLIT_NO_EMPTY) as $child) {
                $found[] = (int) $child;
                $frontier[] = (int) $child;
            }
        }
        return $found;
    }

    private static function removeTree(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) as $entry) {
                if ($entry !== '.' && $entry !== '..') {
                    self::removeTree($path . '/' . $entry);
                }
            }
            rmdir($path);
        } elseif (file_exists($path) || is_link($path)) {
            unlink($path);
        }
    }
}
