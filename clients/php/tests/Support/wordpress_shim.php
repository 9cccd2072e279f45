<?php
// The few WordPress HTTP API functions WordPressTransport calls, with WordPress's shapes: an array with
// 'headers', 'body', 'response' => ['code', 'message'], or a WP_Error. Loaded only in a separate process,
// so the rest of the run stays a non-WordPress environment. Requests go to $GLOBALS['wp_requests'] (with the
// function called), answers come from $GLOBALS['wp_script']. Like WordPress, a streamed answer's body goes to
// the `filename` given, cut at `limit_response_size`; wp_http_validate_url refuses loopback and private IPv4
// literals (WordPress also resolves names and checks the port).

class WP_Error
{
    private string $message;

    public function __construct(string $code = '', string $message = '')
    {
        $this->message = $message;
    }

    public function get_error_message(): string
    {
        return $this->message;
    }
}

function is_wp_error($thing): bool
{
    return $thing instanceof WP_Error;
}

function wp_remote_request($url, $args = [], $function = 'wp_remote_request')
{
    $GLOBALS['wp_requests'][] = ['url' => $url, 'args' => $args, 'function' => $function];
    $answer = array_shift($GLOBALS['wp_script']);
    if (is_array($answer) && !empty($args['stream'])) {
        $limit = $args['limit_response_size'] ?? null;
        file_put_contents($args['filename'], $limit === null ? $answer['body'] : substr($answer['body'], 0, $limit));
        $answer['body'] = '';
    }
    return $answer;
}

function wp_safe_remote_request($url, $args = [])
{
    if (!wp_http_validate_url($url)) {
        return new WP_Error('http_request_failed', 'A valid URL was not provided.');
    }
    return wp_remote_request($url, $args, 'wp_safe_remote_request');
}

function wp_http_validate_url($url)
{
    $host = (string) parse_url($url, PHP_URL_HOST);
    $parts = array_map('intval', explode('.', $host));
    $private = preg_match('/^[0-9.]+$/', $host) && (in_array($parts[0], [0, 10, 127], true)
        || ($parts[0] === 172 && $parts[1] >= 16 && $parts[1] <= 31) || ($parts[0] === 192 && $parts[1] === 168));
    return $private ? false : $url;
}

function wp_remote_retrieve_headers($response)
{
    return $response['headers'];
}

function wp_remote_retrieve_response_code($response)
{
    return $response['response']['code'];
}

function wp_remote_retrieve_body($response)
{
    return $response['body'];
}
