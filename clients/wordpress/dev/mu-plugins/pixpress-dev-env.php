<?php
/*
 * Plugin Name: pixpress dev environment probes
 * Description: Loaded only in the local test WordPress from clients/wordpress/dev. A cron hook
 * the environment tests schedule to prove that WP-Cron events run.
 */

/* In wp-php.sh / php/eval.php (PIXPRESS_DEV_CLI), loading WordPress does not spawn WP-Cron:
 * default-filters.php hooks wp_cron on init, mu-plugins load after it. */
if (defined('PIXPRESS_DEV_CLI')) {
    remove_action('init', 'wp_cron');
}

/* do_action('pixpress_dev_cron_probe', $token): records when the event ran, and in which
 * process, in the option pixpress_dev_cron_probe_<token>. */
add_action('pixpress_dev_cron_probe', function ($token) {
    update_option('pixpress_dev_cron_probe_' . sanitize_key($token), [
        'ran_at' => microtime(true),
        'doing_cron' => wp_doing_cron(),
        'pid' => getmypid(),
    ], false);
});
