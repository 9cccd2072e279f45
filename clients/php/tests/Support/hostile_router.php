<?php
// The router of HostileServer (`php -S`): a pixpress that answers too much. The first path segment picks
// the behaviour, so a client's base URL chooses it:
//   /announced/...  a 700 MB body with its Content-Length, streamed until the client hangs up
//   /endless/...    zeros without a Content-Length, streamed until the client hangs up
//   /json/...       a success envelope padded to 2 MB
//   /small/...      a 1 KB body (the cap is not in the way of normal answers)
// Bodies are generated on the fly, a megabyte at a time: nothing large is built in memory.

$path = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$mode = explode('/', trim($path, '/'))[0];
$chunk = str_repeat("\0", 1048576);

function stream_until_hangup(string $chunk, int $megabytes): void
{
    ignore_user_abort(false);
    for ($i = 0; $i < $megabytes && !connection_aborted(); $i++) {
        echo $chunk;
        flush();
    }
}

switch ($mode) {
    case 'announced':
        header('Content-Type: application/octet-stream');
        header('Content-Length: ' . (700 * 1048576));
        stream_until_hangup($chunk, 700);
        break;
    case 'endless':
        header('Content-Type: application/octet-stream');
        stream_until_hangup($chunk, 700);
        break;
    case 'json':
        header('Content-Type: application/json');
        echo json_encode(['success' => true, 'data' => ['task_id' => 't', 'status' => 'done', 'pad' => str_repeat('x', 2 * 1048576)]]);
        break;
    default:
        header('Content-Type: application/octet-stream');
        echo str_repeat('p', 1024);
}
