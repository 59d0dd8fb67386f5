<?php
// Oracle for tests/lang_versions.rs: Composer\Semver\Comparator (version_compare + dev- branches),
// after dropping one leading v/V before a digit, as VersionParser::normalize does.
// Usage: php composer_oracle.php AUTOLOAD PAIRS. PAIRS holds lines `HEX_A,HEX_B` (UTF-8,
// hex-encoded). One output line per pair: `<ab> <ba>`, each `<`, `=`, `>` or `N` (no relation
// holds), or `E E` when either version is empty. The first output line is `# php <version>`.
require_once $argv[1];

use Composer\Semver\Comparator;

function strip_v(string $s): string
{
    if (strlen($s) >= 2 && ($s[0] === 'v' || $s[0] === 'V') && $s[1] >= '0' && $s[1] <= '9') {
        return substr($s, 1);
    }
    return $s;
}

function cmpc(string $a, string $b): string
{
    if (Comparator::lessThan($a, $b)) {
        return '<';
    }
    if (Comparator::equalTo($a, $b)) {
        return '=';
    }
    if (Comparator::greaterThan($a, $b)) {
        return '>';
    }
    return 'N';
}

$out = ['# php ' . PHP_VERSION];
foreach (file($argv[2], FILE_IGNORE_NEW_LINES) as $line) {
    if ($line === '') {
        continue;
    }
    [$ha, $hb] = explode(',', $line);
    $a = hex2bin($ha);
    $b = hex2bin($hb);
    if ($a === '' || $b === '') {
        $out[] = 'E E';
        continue;
    }
    $a = strip_v($a);
    $b = strip_v($b);
    $out[] = cmpc($a, $b) . ' ' . cmpc($b, $a);
}
echo implode("\n", $out), "\n";
