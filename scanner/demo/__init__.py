"""The embedded demo estate: a moto server on loopback seeded with the reference architecture
(and its deliberate misconfigurations), scanned through the same code path as a real scan."""
