<?php
// Publishes updates with Debian's symfony/mercure (php-symfony-mercure, 0.6.x), the 0.x publisher of Symfony and API
// Platform apps: php symfony-publish.php HUB_URL JWT UPDATES_JSON. UPDATES_JSON is a list of
// {"topics": [...], "data": "...", "private": bool, "id": "...", "type": "...", "retry": int}; prints each id the hub
// answered on its own line, or "refused: <message>" for an update the hub refused.
declare(strict_types=1);

require_once 'Symfony/Component/Mercure/autoload.php';

use Symfony\Component\Mercure\Hub;
use Symfony\Component\Mercure\Jwt\StaticTokenProvider;
use Symfony\Component\Mercure\Update;

[, $url, $jwt, $json] = $argv;
$hub = new Hub($url, new StaticTokenProvider($jwt));
foreach (json_decode($json, true, 512, JSON_THROW_ON_ERROR) as $u) {
    $update = new Update($u['topics'], $u['data'] ?? '', $u['private'] ?? false, $u['id'] ?? null, $u['type'] ?? null, $u['retry'] ?? null);
    try {
        echo $hub->publish($update), "\n";
    } catch (\Throwable $e) {
        $previous = $e->getPrevious();
        echo 'refused: ', $e->getMessage(), $previous ? ' (' . $previous->getMessage() . ')' : '', "\n";
    }
}
