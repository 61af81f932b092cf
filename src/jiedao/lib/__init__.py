"""The library layer: tools every part of Jiedao uses, with no models and no import of the project.

Crypto for data at rest, validators and normalisers for what people type, formatting, logging,
rate limits, the cache, client addresses, the outbound-network guard, the outbox machinery,
domain errors and the request helpers. Anything here may be used by any app; nothing here may
import an app (import-linter's contracts in ``pyproject.toml`` check it).
"""
