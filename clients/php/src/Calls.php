<?php

namespace Pixpress;

/** The HTTP calls of the API as Call values (what to send, not how): the Client sends them all alike. */
final class Calls
{
    /** Form fields the server reads; `sizes` ("name:WxH[:crop],...") passes through as the server grows it. */
    public const OPTION_NAMES = ['mode', 'quality', 'format', 'max_width', 'max_height', 'keep_metadata', 'accept', 'sizes', 'accept_for'];
    /** Options of the call itself, never sent as form fields. */
    public const CONTROL_NAMES = ['filename', 'idempotency_key', 'wait'];

    /**
     * @param string|\SplFileInfo $file a path to an image file, or the image bytes
     * @param array<string, mixed> $options
     */
    public static function submit($file, array $options): Call
    {
        $unknown = array_diff(array_keys($options), self::OPTION_NAMES, self::CONTROL_NAMES);
        if ($unknown) {
            throw new \InvalidArgumentException(sprintf(
                'unknown option %s (known: %s)',
                implode(', ', $unknown),
                implode(', ', array_merge(self::OPTION_NAMES, self::CONTROL_NAMES))
            ));
        }
        [$name, $data] = Upload::read($file, $options['filename'] ?? null);
        $fields = self::fields($options);
        $form = new Multipart();
        foreach ($fields as $field => $value) {
            $form->field($field, $value);
        }
        $form->file('file', $name, $data);
        $key = $options['idempotency_key'] ?? IdempotencyKey::derive($data, $fields);
        $wait = (float) ($options['wait'] ?? 0);
        return new Call(
            'POST',
            '/api/optimize/submit',
            true, // one key for every retry of this submit: the server charges it once
            $wait > 0 ? ['wait' => $wait] : [],
            ['Idempotency-Key' => (string) $key, 'Content-Type' => $form->contentType()],
            $form->body()
        );
    }

    public static function status(string $taskId): Call
    {
        return new Call('GET', '/api/optimize/status/' . rawurlencode($taskId), true);
    }

    /** $variant: a format made with format=auto (`webp`); $size: a name given in `sizes`. */
    public static function download(string $taskId, ?string $variant = null, ?string $size = null): Call
    {
        $query = array_filter(['variant' => $variant, 'size' => $size], 'is_string');
        return new Call('GET', '/api/optimize/download/' . rawurlencode($taskId), true, $query, [], null, true);
    }

    public static function delete(string $taskId): Call
    {
        return new Call('DELETE', '/api/optimize/task/' . rawurlencode($taskId), true);
    }

    public static function quota(): Call
    {
        return new Call('GET', '/api/optimize/quota', true);
    }

    public static function refreshQuota(): Call
    {
        return new Call('POST', '/api/optimize/refresh-quota', true);
    }

    public static function resetUsage(string $customerToken): Call
    {
        // Not idempotent: a second reset after a lost answer would report old_usage_mb 0, hiding the first.
        return new Call(
            'POST',
            '/api/optimize/reset-usage',
            false,
            [],
            ['Content-Type' => 'application/json'],
            json_encode(['token' => $customerToken])
        );
    }

    /**
     * The options as form fields: null left out, booleans as true/false, lists comma-joined.
     *
     * @param array<string, mixed> $options
     * @return array<string, string>
     */
    public static function fields(array $options): array
    {
        $fields = [];
        foreach (self::OPTION_NAMES as $name) {
            $value = $options[$name] ?? null;
            if ($value === null) {
                continue;
            }
            if (is_bool($value)) {
                $value = $value ? 'true' : 'false';
            } elseif (is_array($value)) {
                $value = implode(',', array_map('strval', $value));
            }
            $fields[$name] = (string) $value;
        }
        return $fields;
    }
}
