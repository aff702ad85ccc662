"""The engine's own checks, beside the signature pass: npm scripts, install-time scope, provenance
(binaries, special entries, hidden files, packed lines, binary data under source names), the package
name (typosquats, top-level modules shadowing popular packages, dependency-confusion probes),
registry installers, and AI-agent tools with poisoned descriptions."""
