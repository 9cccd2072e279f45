<?php
// The few WordPress HTTP API functions WordPressTransport calls, with WordPress's shapes: an array with
// 'headers', 'body', 'response' => ['code', 'message'], or a WP_Error. Loaded only in a separate process,
// so the rest of the run stays a non-WordPress environment. Requests go to $GLOBALS['wp_requests'], answers
// come from $GLOBALS['wp_script'].

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

function wp_remote_request($url, $args = [])
{
    $GLOBALS['wp_requests'][] = ['url' => $url, 'args' => $args];
    return array_shift($GLOBALS['wp_script']);
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
