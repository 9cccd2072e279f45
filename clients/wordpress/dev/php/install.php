<?php
/*
 * php install.php RUN_DIR  — installs WordPress into the run's (empty) database with the admin
 * from env.json, makes sure the admin has an application password named "pixpress-tests", and
 * prints {"app_password": "..."} as JSON. Running it on an installed site only adds a new
 * application password (the old ones are revoked).
 */
require __DIR__ . '/bootstrap.php';
define('WP_INSTALLING', true);
require_once PIXPRESS_WP_ROOT . 'wp-load.php';
/* No mail from a test site: the welcome mail is pluggable, define it before upgrade.php. */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password)
{
}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$admin = $pixpress_env['admin_user'];
if (!is_blog_installed()) {
    $result = wp_install(
        'pixpress test site',
        $admin,
        $pixpress_env['admin_email'],
        false,
        '',
        wp_slash($pixpress_env['admin_password'])
    );
    if (empty($result['user_id'])) {
        fwrite(STDERR, "install.php: wp_install failed\n");
        exit(1);
    }
    /* Plain ?p=123 links; the REST API is then reached with ?rest_route=/... */
    update_option('permalink_structure', '');
}
$user = get_user_by('login', $admin);
if (!$user) {
    fwrite(STDERR, "install.php: no user $admin\n");
    exit(1);
}
if (!wp_is_application_passwords_available_for_user($user)) {
    fwrite(STDERR, "install.php: application passwords unavailable (WP_ENVIRONMENT_TYPE must be local over http)\n");
    exit(1);
}
WP_Application_Passwords::delete_all_application_passwords($user->ID);
$created = WP_Application_Passwords::create_new_application_password($user->ID, ['name' => 'pixpress-tests']);
if (is_wp_error($created)) {
    fwrite(STDERR, 'install.php: ' . $created->get_error_message() . "\n");
    exit(1);
}
echo json_encode(['app_password' => $created[0]]), "\n";
