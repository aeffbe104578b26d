"""The core layer: virtual time, the event queue and seeded randomness. Knows nothing of AWS."""
