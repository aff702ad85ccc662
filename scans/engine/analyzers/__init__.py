"""The engine's own checks, beside the signature pass: npm scripts, install-time scope, provenance
(binaries, special entries, hidden files, packed lines), the package name, registry installers."""
