"""driftless AWS emulator: moto server plus the operations and protocols driftless needs."""
